import * as crypto from 'node:crypto';
import { parseAuthorization } from '../../../cloudfunctions/common/wxpay/v3/authorization';
import { encryptResource } from '../../../cloudfunctions/common/wxpay/v3/aead';
import { paySignMessage, requestMessage, rsaVerify, wechatpayHeaders } from '../../../cloudfunctions/common/wxpay/v3/signing';
import { MAX_CLOCK_SKEW_SECONDS } from '../../../cloudfunctions/common/wxpay/v3/verify';
import { parseRfc3339, toCompactBeijing, toRfc3339Beijing } from '../../../cloudfunctions/common/time';
import { Faults, type ReceivedRequest } from './faults';
import type { NotificationJob, Notifier, OutgoingNotification } from './notifier';
import { EmulatorRefusal, jsonReply, type EmulatedPayment, type EmulatedRefund, type EmuReply, type EmuRequest, type PayerOutcome, type WxPayEmulator } from './types';
import { readSavedRefunds, RefundLedger, RefundRuleError, type RefundProblem } from './refunds';
import { applyPayerOutcome } from './payer';
import { codeUrlOf, paymentLookups } from './payment-keys';
import { persistRecords } from './persisted-records';
import { readSavedPayment, SavedRecord } from './saved-record';
import type { StateStore } from './state-file';

/**
 * WeChat Pay API v3 as the merchant sees it: signed JSAPI/Native orders, query and close, signed answers,
 * and encrypted, signed TRANSACTION.SUCCESS notifications, plus the payer's side (requestPayment, scan).
 * Refunds: `POST /v3/refund/domestic/refunds` and its query, with REFUND.SUCCESS / REFUND.ABNORMAL /
 * REFUND.CLOSED notifications once the sandbox settles a refund (see refunds.ts for the rules).
 * Error codes and statuses follow the official v3 error lists where they document the case. Inferred:
 * re-ordering a paid out_trade_no answers 403 ORDERPAID (the v3 order pages we could check do not list
 * that case; ORDERPAID is the code v2 and the close API use for it); the refund refusals' messages are the
 * ones merchants report from the platform (INVALID_REQUEST), the one for an unpaid trade is ours.
 *
 * `EmuRequest.path` must be the path as received (not percent-decoded): the signature covers those bytes.
 */

export interface WxPayV3EmulatorOptions {
  merchant: { mchid: string; appid: string; certSerial: string; publicKey: crypto.KeyObject; apiV3Key: Buffer };
  platform: {
    publicKeyId: string;
    privateKey: crypto.KeyObject;
    /** With `pem`, it is listed at `GET /v3/certificates` (encrypted with the APIv3 key, as the platform does). */
    certificate?: PlatformCertificate;
    /** Which key signs answers and notifications (default: the public-key id). */
    signWith?: 'publicKey' | 'certificate';
  };
  notifier: Notifier;
  faults?: Faults;
  now?: () => number;
  /**
   * The URL prefix the local host mounts the emulator under and strips from `EmuRequest.path` (e.g.
   * `/wxpay`): the merchant signed the full path, so signatures are checked with it.
   */
  pathPrefix?: string;
  /** Keeps the trades across restarts of the local host; without it they live in memory only. */
  store?: StateStore<WxPayV3Trade>;
  /** A refund still PROCESSING this long after it was made succeeds by itself; undefined or 0 = only when settled. */
  refundSucceedAfterMs?: number;
}

export interface PlatformCertificate {
  serial: string;
  privateKey: crypto.KeyObject;
  pem?: string;
}

export type WxPayV3Emulator = WxPayEmulator & {
  received: ReceivedRequest[];
  faults: Faults;
  /**
   * A platform certificate rotation: from now on answers and notifications are signed with `next`;
   * the list at /v3/certificates holds both, the old one with an expire_time 24 h away (the platform
   * lists the new one ahead and shortens the old one's expire_time).
   */
  rotateCertificate(next: PlatformCertificate): void;
};

export interface WxPayV3Trade {
  payment: EmulatedPayment;
  /** The business parameters of the first order: a re-order must repeat them exactly. */
  fingerprint: string;
  attach?: string;
  refunds: EmulatedRefund[];
}

type Trade = WxPayV3Trade;

function readSavedTrade(saved: unknown): Trade {
  const r = SavedRecord.of(saved);
  const payment = readSavedPayment(r.record('payment'), 'wxpay-v3');
  return { payment, fingerprint: r.string('fingerprint'), attach: r.optString('attach'), refunds: readSavedRefunds(saved, payment) };
}

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const DEFAULT_VALIDITY_MS = 7 * 86400 * 1000;
const ORDER_PATH = /^\/v3\/pay\/transactions\/(jsapi|native)$/;
const TRADE_PATH = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)(\/close)?$/;
const REFUNDS_PATH = '/v3/refund/domestic/refunds';
const REFUND_PATH = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
/** How the platform words each refused refund (INVALID_REQUEST, 400). */
const REFUND_REFUSALS: Record<RefundProblem, string> = {
  NOT_PAID: '订单未支付，不能申请退款',
  TOTAL_MISMATCH: '订单金额或退款金额与之前请求不一致，请核实后再试',
  CHANGED: '请求内容和上次请求不一致，请核实后再试',
  EXCEEDS: '申请退款金额超过订单可退金额',
  TOO_MANY: '该订单的退款次数已达上限（50 次）',
};
const REFUND_EVENTS = {
  SUCCESS: ['REFUND.SUCCESS', '退款成功'],
  ABNORMAL: ['REFUND.ABNORMAL', '退款异常'],
  CLOSED: ['REFUND.CLOSED', '退款关闭'],
} as const;

class ParamError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const error = (statusCode: number, code: string, message: string): EmuReply => jsonReply(statusCode, { code, message });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomDigits = (n: number) => Array.from(crypto.randomBytes(n), (b) => String(b % 10)).join('');

function decodePathSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function hasNull(v: unknown): boolean {
  if (v === null) return true;
  if (Array.isArray(v)) return v.some(hasNull);
  return isObject(v) && Object.values(v).some(hasNull);
}

function str(body: Record<string, unknown>, name: string, opts: { maxBytes: number; optional?: boolean }): string | undefined {
  const v = body[name];
  if (v === undefined && opts.optional) return undefined;
  if (typeof v !== 'string' || v === '') throw new ParamError(`输入源“/body/${name}”映射到值字段“${name}”字符串规则校验失败，值不能为空`);
  if (Buffer.byteLength(v, 'utf8') > opts.maxBytes) throw new ParamError(`${name} 字节长度超过 ${opts.maxBytes}`);
  return v;
}

function isAcceptedNotifyUrl(value: string): boolean {
  try {
    const u = new URL(value);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
    return (u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) && !u.search && !u.hash;
  } catch {
    return false;
  }
}

export function createWxPayV3Emulator(opts: WxPayV3EmulatorOptions): WxPayV3Emulator {
  const now = opts.now ?? (() => Date.now());
  const faults = opts.faults ?? new Faults();
  const received: ReceivedRequest[] = [];
  const trades = new Map<string, Trade>(); // by out_trade_no
  const byId = new Map<string, Trade>(); // by payment id (prepay_id or code_url token)
  const lookups = paymentLookups(byId);
  const persisted = persistRecords(opts.store, readSavedTrade, () => [...byId.values()]);
  const { merchant, platform } = opts;
  const refunds = new RefundLedger({
    provider: 'wxpay-v3',
    notifier: opts.notifier,
    now,
    save: () => persisted.save(),
    newRefundId: () => `50000${randomDigits(24)}`,
    notification: refundNotification,
    succeedAfterMs: opts.refundSucceedAfterMs,
  });
  for (const t of persisted.restored) {
    trades.set(t.payment.outTradeNo, t);
    byId.set(t.payment.id, t);
    refunds.restore(t);
  }

  const signWith = platform.signWith ?? 'publicKey';
  if (signWith === 'certificate' && !platform.certificate) throw new Error('signWith "certificate" needs platform.certificate.');
  let certificate = platform.certificate;
  // Listed certificates with the list's expire_time (undefined: the certificate's own notAfter).
  const listed: { cert: PlatformCertificate; expireAt?: number }[] = certificate?.pem ? [{ cert: certificate }] : [];
  const signingKey = () =>
    signWith === 'certificate' && certificate
      ? { serial: certificate.serial, privateKey: certificate.privateKey }
      : { serial: platform.publicKeyId, privateKey: platform.privateKey };

  /** `GET /v3/certificates`: each certificate encrypted with the APIv3 key (associated_data "certificate"). */
  function certificateList(): EmuReply {
    // Inferred: a merchant in public-key mode only has no platform certificate to list.
    if (listed.length === 0) return error(404, 'RESOURCE_NOT_EXISTS', '商户未申请平台证书');
    const data = listed.map(({ cert, expireAt }) => {
      const x509 = new crypto.X509Certificate(cert.pem as string);
      return {
        serial_no: cert.serial,
        effective_time: toRfc3339Beijing(Date.parse(x509.validFrom)),
        expire_time: toRfc3339Beijing(expireAt ?? Date.parse(x509.validTo)),
        encrypt_certificate: { algorithm: 'AEAD_AES_256_GCM', ...encryptResource(cert.pem as string, merchant.apiV3Key, 'certificate') },
      };
    });
    return jsonReply(200, { data });
  }

  /** Every answer carries the platform's signature, as the real one does. */
  const signed = (reply: EmuReply): EmuReply => ({
    ...reply,
    headers: { ...reply.headers, 'request-id': crypto.randomUUID(), ...wechatpayHeaders(reply.body, signingKey(), now()) },
  });

  function checkAuthorization(req: EmuRequest, pathWithQuery: string): string | undefined {
    const auth = parseAuthorization(req.headers['authorization']);
    if (!auth) return 'Authorization 缺失或格式错误';
    if (auth.mchid !== merchant.mchid) return `商户号 ${auth.mchid} 不存在`;
    if (auth.serialNo.toUpperCase() !== merchant.certSerial.toUpperCase()) return `商户证书序列号 ${auth.serialNo} 有误`;
    if (!/^\d{10}$/.test(auth.timestamp) || Math.abs(Number(auth.timestamp) - now() / 1000) > MAX_CLOCK_SKEW_SECONDS) return '请求时间戳与当前时间相差过大';
    const message = requestMessage(req.method, pathWithQuery, auth.timestamp, auth.nonceStr, req.rawBody.toString('utf8'));
    if (!rsaVerify(message, auth.signature, merchant.publicKey)) return '签名错误，验签失败';
    return undefined;
  }

  function transaction(t: Trade): Record<string, unknown> {
    const p = t.payment;
    const base = { appid: p.appid, mchid: p.mchid, out_trade_no: p.outTradeNo };
    if (p.status === 'PAID') {
      const refunded = RefundLedger.fullyRefunded(t);
      return {
        ...base,
        transaction_id: p.transactionId,
        trade_type: p.tradeType,
        trade_state: refunded ? 'REFUND' : 'SUCCESS',
        trade_state_desc: refunded ? '转入退款' : '支付成功',
        bank_type: 'OTHERS',
        ...(t.attach !== undefined ? { attach: t.attach } : {}),
        success_time: toRfc3339Beijing(p.paidAt ?? now()),
        payer: { openid: p.openid },
        amount: { total: p.amountFen, payer_total: p.amountFen, currency: 'CNY', payer_currency: 'CNY' },
      };
    }
    const [state, desc] = p.status === 'CLOSED' ? ['CLOSED', '订单已关闭'] : p.status === 'FAILED' ? ['PAYERROR', '支付失败，请重新下单支付'] : ['NOTPAY', '订单未支付'];
    return { ...base, trade_state: state, trade_state_desc: desc, amount: { payer_currency: 'CNY' } };
  }

  function placeOrder(kind: 'jsapi' | 'native', req: EmuRequest): EmuReply {
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      return error(400, 'PARAM_ERROR', '请求体不是合法的 JSON');
    }
    let fields: { appid: string; mchid: string; description: string; outTradeNo: string; timeExpire?: string; attach?: string; notifyUrl: string; total: number; openid?: string };
    try {
      if (!isObject(body)) throw new ParamError('请求体必须是 JSON 对象');
      if (hasNull(body)) throw new ParamError('参数值不允许为 null');
      const amount = body.amount;
      if (!isObject(amount)) throw new ParamError('缺少参数 amount');
      if (!Number.isSafeInteger(amount.total) || (amount.total as number) <= 0) throw new ParamError('amount.total 必须为大于 0 的整数（单位：分）');
      if (amount.currency !== undefined && amount.currency !== 'CNY') throw new ParamError('amount.currency 仅支持 CNY');
      const outTradeNo = str(body, 'out_trade_no', { maxBytes: 32 }) as string;
      if (!OUT_TRADE_NO.test(outTradeNo)) throw new ParamError('out_trade_no 须为 6-32 位数字、大小写字母或 _-|*');
      const timeExpire = str(body, 'time_expire', { maxBytes: 64, optional: true });
      if (timeExpire !== undefined && parseRfc3339(timeExpire) === undefined) throw new ParamError('time_expire 须为 RFC 3339 格式');
      const notifyUrl = str(body, 'notify_url', { maxBytes: 255 }) as string;
      if (!isAcceptedNotifyUrl(notifyUrl)) throw new ParamError('notify_url 须为 https 地址且不能携带参数');
      let openid: string | undefined;
      if (kind === 'jsapi') {
        if (!isObject(body.payer)) throw new ParamError('缺少参数 payer');
        openid = str(body.payer, 'openid', { maxBytes: 128 });
      }
      fields = {
        appid: str(body, 'appid', { maxBytes: 32 }) as string,
        mchid: str(body, 'mchid', { maxBytes: 32 }) as string,
        description: str(body, 'description', { maxBytes: 127 }) as string,
        outTradeNo,
        timeExpire,
        attach: str(body, 'attach', { maxBytes: 128, optional: true }),
        notifyUrl,
        total: amount.total as number,
        openid,
      };
    } catch (e) {
      if (e instanceof ParamError) return error(400, 'PARAM_ERROR', e.message);
      throw e;
    }
    if (fields.mchid !== merchant.mchid) return error(400, 'PARAM_ERROR', 'mchid 与请求头中的商户号不一致');
    if (fields.appid !== merchant.appid) return error(400, 'APPID_MCHID_NOT_MATCH', 'appid 和 mch_id 不匹配');

    const tradeType = kind === 'jsapi' ? 'JSAPI' : 'NATIVE';
    const fingerprint = JSON.stringify([tradeType, fields.appid, fields.description, fields.timeExpire ?? '', fields.attach ?? '', fields.notifyUrl, fields.total, fields.openid ?? '']);
    const existing = trades.get(fields.outTradeNo);
    if (existing) {
      const p = existing.payment;
      if (existing.fingerprint !== fingerprint) return error(400, 'INVALID_REQUEST', '201 商户订单号重复');
      // Not confirmed on the v3 order pages (v2 and close use ORDERPAID): see the module comment.
      if (p.status === 'PAID') return error(403, 'ORDERPAID', '该订单已支付');
      if (p.status === 'CLOSED' || (p.expiresAt !== undefined && now() >= p.expiresAt)) return error(400, 'ORDER_CLOSED', '订单已关闭');
      return jsonReply(200, p.tradeType === 'JSAPI' ? { prepay_id: p.prepayId } : { code_url: p.codeUrl });
    }

    const createdAt = now();
    const payment: EmulatedPayment = {
      id: '',
      provider: 'wxpay-v3',
      tradeType,
      outTradeNo: fields.outTradeNo,
      mchid: fields.mchid,
      appid: fields.appid,
      amountFen: fields.total,
      description: fields.description,
      status: 'WAITING',
      createdAt,
      expiresAt: fields.timeExpire !== undefined ? parseRfc3339(fields.timeExpire) : createdAt + DEFAULT_VALIDITY_MS,
      notifyUrl: fields.notifyUrl,
      openid: fields.openid,
      deliveries: [],
    };
    if (tradeType === 'JSAPI') {
      payment.prepayId = `wx${toCompactBeijing(createdAt)}${crypto.randomBytes(7).toString('hex')}`;
      payment.id = payment.prepayId;
    } else {
      payment.id = crypto.randomBytes(8).toString('base64url');
      payment.codeUrl = codeUrlOf(payment.id);
    }
    const trade: Trade = { payment, fingerprint, attach: fields.attach, refunds: [] };
    trades.set(payment.outTradeNo, trade);
    byId.set(payment.id, trade);
    persisted.save(trade);
    return jsonReply(200, tradeType === 'JSAPI' ? { prepay_id: payment.prepayId } : { code_url: payment.codeUrl });
  }

  function queryOrder(outTradeNo: string, req: EmuRequest): EmuReply {
    if (req.query.get('mchid') !== merchant.mchid) return error(400, 'PARAM_ERROR', 'mchid 缺失或与请求头中的商户号不一致');
    const t = trades.get(outTradeNo);
    return t ? jsonReply(200, transaction(t)) : error(404, 'ORDER_NOT_EXIST', '订单不存在');
  }

  function closeOrder(outTradeNo: string, req: EmuRequest): EmuReply {
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      return error(400, 'PARAM_ERROR', '请求体不是合法的 JSON');
    }
    if (!isObject(body) || body.mchid !== merchant.mchid) return error(400, 'PARAM_ERROR', 'mchid 缺失或与请求头中的商户号不一致');
    const t = trades.get(outTradeNo);
    if (!t) return error(404, 'ORDER_NOT_EXIST', '订单不存在');
    if (t.payment.status === 'PAID') return error(403, 'ORDERPAID', '订单已支付，不能发起关单');
    t.payment.status = 'CLOSED';
    persisted.save(t);
    return { statusCode: 204, headers: {}, body: '' };
  }

  /** A refund as the apply answer, the query and (in part) the notification state it. */
  function refundResource(r: EmulatedRefund): Record<string, unknown> {
    return {
      refund_id: r.refundId,
      out_refund_no: r.outRefundNo,
      transaction_id: r.transactionId,
      out_trade_no: r.outTradeNo,
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      ...(r.status === 'SUCCESS' && r.settledAt !== undefined ? { success_time: toRfc3339Beijing(r.settledAt) } : {}),
      create_time: toRfc3339Beijing(r.createdAt),
      status: r.status,
      funds_account: 'AVAILABLE',
      amount: {
        total: r.totalFen,
        refund: r.amountFen,
        payer_total: r.totalFen,
        payer_refund: r.amountFen,
        settlement_refund: r.amountFen,
        settlement_total: r.totalFen,
        discount_refund: 0,
        currency: 'CNY',
        refund_fee: 0,
      },
    };
  }

  function applyRefund(req: EmuRequest): EmuReply {
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      return error(400, 'PARAM_ERROR', '请求体不是合法的 JSON');
    }
    let fields: { outTradeNo?: string; transactionId?: string; outRefundNo: string; reason?: string; notifyUrl?: string; refund: number; total: number };
    try {
      if (!isObject(body)) throw new ParamError('请求体必须是 JSON 对象');
      if (hasNull(body)) throw new ParamError('参数值不允许为 null');
      const outTradeNo = str(body, 'out_trade_no', { maxBytes: 32, optional: true });
      const transactionId = str(body, 'transaction_id', { maxBytes: 32, optional: true });
      if (outTradeNo === undefined && transactionId === undefined) throw new ParamError('transaction_id 与 out_trade_no 必须填写一个');
      const outRefundNo = str(body, 'out_refund_no', { maxBytes: 64 }) as string;
      if (!OUT_REFUND_NO.test(outRefundNo)) throw new ParamError('out_refund_no 须为 1-64 位数字、大小写字母或 _-|*@');
      // string(80) in UTF-8 bytes: documented for reason ("不得超过80个字节", 申请退款).
      const reason = str(body, 'reason', { maxBytes: 80, optional: true });
      const notifyUrl = str(body, 'notify_url', { maxBytes: 256, optional: true });
      if (notifyUrl !== undefined && !isAcceptedNotifyUrl(notifyUrl)) throw new ParamError('notify_url 须为 https 地址且不能携带参数');
      const amount = body.amount;
      if (!isObject(amount)) throw new ParamError('缺少参数 amount');
      for (const name of ['refund', 'total'] as const) {
        if (!Number.isSafeInteger(amount[name]) || (amount[name] as number) <= 0) throw new ParamError(`amount.${name} 必须为大于 0 的整数（单位：分）`);
      }
      if (amount.currency !== 'CNY') throw new ParamError('amount.currency 必填，仅支持 CNY');
      if ((amount.refund as number) > (amount.total as number)) throw new ParamError('amount.refund 不能大于 amount.total');
      fields = { outTradeNo, transactionId, outRefundNo, reason, notifyUrl, refund: amount.refund as number, total: amount.total as number };
    } catch (e) {
      if (e instanceof ParamError) return error(400, 'PARAM_ERROR', e.message);
      throw e;
    }
    const t =
      fields.outTradeNo !== undefined
        ? trades.get(fields.outTradeNo)
        : [...trades.values()].find((x) => x.payment.transactionId === fields.transactionId);
    if (!t || (fields.transactionId !== undefined && t.payment.transactionId !== fields.transactionId)) return error(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    try {
      const { refund } = refunds.apply(t, {
        outRefundNo: fields.outRefundNo,
        refundFen: fields.refund,
        totalFen: fields.total,
        reason: fields.reason,
        // Without notify_url the platform would use the one set in the merchant platform, which the emulator has not.
        notifyUrl: fields.notifyUrl ?? '',
      });
      return jsonReply(200, refundResource(refund));
    } catch (e) {
      if (e instanceof RefundRuleError) return error(400, 'INVALID_REQUEST', REFUND_REFUSALS[e.problem]);
      throw e;
    }
  }

  function queryRefund(outRefundNo: string): EmuReply {
    const r = refunds.get(outRefundNo);
    return r ? jsonReply(200, refundResource(r)) : error(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
  }

  async function route(req: EmuRequest): Promise<EmuReply> {
    const qs = req.query.toString();
    const pathWithQuery = qs ? `${req.path}?${qs}` : req.path;
    const problem = checkAuthorization(req, (opts.pathPrefix ?? '') + pathWithQuery);
    if (problem) return error(401, 'SIGN_ERROR', problem);
    if (req.path === '/v3/certificates' && req.method === 'GET') return certificateList();
    const order = ORDER_PATH.exec(req.path);
    if (order && req.method === 'POST') return placeOrder(order[1] as 'jsapi' | 'native', req);
    const trade = TRADE_PATH.exec(req.path);
    if (trade) {
      const outTradeNo = decodePathSegment(trade[1]);
      if (outTradeNo === undefined || !OUT_TRADE_NO.test(outTradeNo)) return error(400, 'PARAM_ERROR', 'out_trade_no 格式错误');
      if (trade[2] && req.method === 'POST') return closeOrder(outTradeNo, req);
      if (!trade[2] && req.method === 'GET') return queryOrder(outTradeNo, req);
    }
    if (req.path === REFUNDS_PATH && req.method === 'POST') return applyRefund(req);
    const refund = REFUND_PATH.exec(req.path);
    if (refund && req.method === 'GET') {
      const outRefundNo = decodePathSegment(refund[1]);
      if (outRefundNo === undefined || !OUT_REFUND_NO.test(outRefundNo)) return error(400, 'PARAM_ERROR', 'out_refund_no 格式错误');
      return queryRefund(outRefundNo);
    }
    return error(404, 'NOT_FOUND', `${req.method} ${req.path} 不存在`);
  }

  /**
   * A notification: an envelope around an encrypted resource, made at the job's first attempt (one
   * notification id per job) from the record as it is then, and signed afresh at every attempt.
   */
  function envelope(eventType: string, summary: string, originalType: 'transaction' | 'refund', resource: () => unknown): () => OutgoingNotification {
    let body: string | undefined;
    return () => {
      body ??= JSON.stringify({
        id: crypto.randomUUID(),
        create_time: toRfc3339Beijing(now()),
        resource_type: 'encrypt-resource',
        event_type: eventType,
        summary,
        resource: { original_type: originalType, algorithm: 'AEAD_AES_256_GCM', ...encryptResource(JSON.stringify(resource()), merchant.apiV3Key, originalType) },
      });
      return { headers: { 'content-type': 'application/json', ...wechatpayHeaders(body, signingKey(), now()) }, body };
    };
  }

  /** A paid trade's TRANSACTION.SUCCESS delivery, from its record: when it is paid, and at start for one an earlier run left pending. */
  function paymentJob(t: Trade): NotificationJob {
    return { build: envelope('TRANSACTION.SUCCESS', '支付成功', 'transaction', () => transaction(t)), recorded: () => persisted.save(t) };
  }

  /** REFUND.SUCCESS / ABNORMAL / CLOSED: the payment notification's envelope around a refund resource. */
  function refundNotification(r: EmulatedRefund) {
    if (r.status === 'PROCESSING') return undefined;
    const [event, summary] = REFUND_EVENTS[r.status];
    const resource = () => ({
      mchid: merchant.mchid,
      out_trade_no: r.outTradeNo,
      transaction_id: r.transactionId,
      out_refund_no: r.outRefundNo,
      refund_id: r.refundId,
      refund_status: r.status,
      ...(r.status === 'SUCCESS' && r.settledAt !== undefined ? { success_time: toRfc3339Beijing(r.settledAt) } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: r.totalFen, refund: r.amountFen, payer_total: r.totalFen, payer_refund: r.amountFen },
    });
    return { event, build: envelope(event, summary, 'refund', resource) };
  }

  async function settle(id: string, outcome: PayerOutcome): Promise<EmulatedPayment> {
    const t = byId.get(id);
    if (!t) throw new EmulatorRefusal(`no WeChat Pay v3 payment ${id}`, 404);
    const p = t.payment;
    const paidAt = applyPayerOutcome(p, outcome, now());
    if (paidAt === undefined) {
      persisted.save(t);
      return p;
    }
    p.transactionId = `42000${toCompactBeijing(paidAt).slice(0, 8)}${randomDigits(15)}`;
    // A scanned Native payment is made by whoever scanned: give them an openid.
    p.openid ??= `o${crypto.randomBytes(20).toString('base64url').slice(0, 27)}`;
    persisted.save(t);
    await opts.notifier.send(p, paymentJob(t));
    return p;
  }

  for (const t of persisted.restored) opts.notifier.resume(t.payment, paymentJob(t));

  return {
    provider: 'wxpay-v3',
    received,
    faults,

    async handle(req: EmuRequest): Promise<EmuReply | undefined> {
      if (!req.path.startsWith('/v3/')) return undefined;
      const qs = req.query.toString();
      received.push({ method: req.method, path: qs ? `${req.path}?${qs}` : req.path, body: req.rawBody.toString('utf8'), at: now() });
      const fault = faults.take(req);
      if (fault?.kind === 'reply') return fault.reply;
      if (fault?.kind === 'delay') await sleep(fault.ms);
      return signed(await route(req));
    },

    list: () => [...byId.values()].map((t) => t.payment),

    ...lookups,

    rotateCertificate(next) {
      if (!next.pem) throw new Error('a rotated-in certificate needs its pem to be listed.');
      // The platform lists the new one 24 h ahead and moves the old one's expire_time to the switch-over.
      for (const l of listed) l.expireAt ??= now() + 86400_000;
      listed.push({ cert: next });
      certificate = next;
    },

    settle,

    listRefunds: () => refunds.list(),

    settleRefund: (outRefundNo, outcome) => refunds.settle(outRefundNo, outcome),

    async requestPayment(params, outcome) {
      if (params.signType !== 'RSA') throw new EmulatorRefusal(`API v3 payments are signed with RSA, not ${params.signType}`);
      const m = /^prepay_id=(.+)$/.exec(params.package);
      if (!m) throw new EmulatorRefusal('package must be prepay_id=…');
      const t = byId.get(m[1]);
      if (!t || t.payment.tradeType !== 'JSAPI') throw new EmulatorRefusal(`no WeChat Pay v3 prepay_id ${m[1]}`, 404);
      if (!/^\d{10}$/.test(params.timeStamp)) throw new EmulatorRefusal('timeStamp must be a 10-digit string of seconds');
      if (!params.nonceStr || params.nonceStr.length > 32) throw new EmulatorRefusal('nonceStr must be 1–32 characters');
      const message = paySignMessage(t.payment.appid ?? '', params.timeStamp, params.nonceStr, params.package);
      if (!rsaVerify(message, params.paySign, merchant.publicKey)) throw new EmulatorRefusal('支付验证签名失败');
      return settle(t.payment.id, outcome);
    },

    async scan(codeUrl, outcome) {
      const p = lookups.findByCodeUrl(codeUrl);
      if (!p) throw new EmulatorRefusal(`no WeChat Pay v3 code_url ${codeUrl}`, 404);
      return settle(p.id, outcome);
    },
  };
}
