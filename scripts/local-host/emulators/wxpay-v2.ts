import * as crypto from 'node:crypto';
// Refund times are Beijing wall-clock `yyyy-MM-dd HH:mm:ss`, the format PAYJS also uses.
import { formatPayjsTime as beijingDateTime } from '../../../cloudfunctions/common/payjs/time';
import type { V2SignType } from '../../../cloudfunctions/common/config';
import { parseCompactBeijing, toCompactBeijing } from '../../../cloudfunctions/common/time';
import { encryptReqInfo } from '../../../cloudfunctions/common/wxpay/v2/refund';
import { isV2SignType, nonceStr, type V2Fields, verifyV2, withSign } from '../../../cloudfunctions/common/wxpay/v2/sign';
import { parseXml, toXml } from '../../../cloudfunctions/common/wxpay/v2/xml';
import { Faults, type ReceivedRequest } from './faults';
import type { NotificationJob, Notifier } from './notifier';
import { type EmulatedPayment, type EmulatedRefund, EmulatorRefusal, type EmuReply, type EmuRequest, type PayerOutcome, type WxPayEmulator } from './types';
import { readSavedRefunds, RefundLedger, RefundRuleError, type RefundProblem } from './refunds';
import { applyPayerOutcome } from './payer';
import { codeUrlOf, paymentLookups } from './payment-keys';
import { persistRecords } from './persisted-records';
import { readSavedPayment, SavedRecord } from './saved-record';
import type { StateStore } from './state-file';

/**
 * WeChat Pay API v2 as the merchant sees it: /pay/unifiedorder, /pay/orderquery, /pay/closeorder
 * (XML, signed with the API key), signed payment notifications, and the payer's side (the
 * `wx.requestPayment` paySign check, scanning a Native code). Refunds: /secapi/pay/refund (only over
 * TLS with the merchant's client certificate), /pay/refundquery, and refund notifications whose
 * `req_info` is AES-256-ECB encrypted under md5(API key) and which carry no sign (rules in refunds.ts).
 * Inferred, not documented: the answer to a /secapi/ request without the certificate (the platform
 * refuses it; we answer an unsigned return_code FAIL) and the err_code for an unpaid trade and for a
 * 51st refund (INVALID_REQUEST).
 */

export interface WxPayV2EmulatorOptions {
  merchant: { mchid: string; appid: string; key: string };
  notifier: Notifier;
  faults?: Faults;
  now?: () => number;
  /** Keeps the orders across restarts of the local host; without it they live in memory only. */
  store?: StateStore<WxPayV2Order>;
  /** A refund still PROCESSING this long after it was made succeeds by itself; undefined or 0 = only when settled. */
  refundSucceedAfterMs?: number;
}

export interface WxPayV2Order {
  payment: EmulatedPayment;
  /** The order's sign type: its answers, notification and paySign use it. */
  signType: V2SignType;
  /** The business fields of the unified order, canonical: a re-placement must repeat them. */
  terms: string;
  /** The unified order's own sign: a paySign equal to it is the classic bug the client refuses. */
  orderSign: string;
  attach?: string;
  refunds: EmulatedRefund[];
}

/** Whether the merchant's answer to a notification means "received" (return_code SUCCESS). */
export function wxpayV2NotifyAccepted(statusCode: number, body: string): boolean {
  if (statusCode !== 200) return false;
  try {
    return parseXml(body).return_code === 'SUCCESS';
  } catch {
    return false;
  }
}

const XML_HEADERS = { 'content-type': 'text/xml; charset=utf-8' };
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*@]{1,32}$/;
/** Fields that may differ when the same order is placed again. */
const NOT_TERMS = new Set(['nonce_str', 'sign', 'spbill_create_ip']);

const randomToken = (chars: number) => crypto.randomBytes(chars).toString('base64url').replace(/[-_]/g, 'x').slice(0, chars);
const randomDigits = (n: number) => Array.from(crypto.randomBytes(n), (b) => String(b % 10)).join('');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Raised while checking a request: becomes result_code FAIL with this err_code. */
class BizError extends Error {
  constructor(
    readonly errCode: string,
    message: string,
  ) {
    super(message);
  }
}

const paramError = (message: string) => new BizError('PARAM_ERROR', message);

function checkUnifiedOrder(f: Record<string, string>, now: number): void {
  for (const name of ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'notify_url', 'trade_type']) {
    if (!f[name]) throw paramError(`缺少参数 ${name}`);
  }
  if (bytes(f.body) > 128) throw paramError('body 长度超过 128 字节');
  if (!OUT_TRADE_NO.test(f.out_trade_no)) throw paramError('out_trade_no 格式错误');
  if (!/^[1-9]\d{0,9}$/.test(f.total_fee)) throw paramError('total_fee 必须为正整数(单位:分)');
  if (f.fee_type !== undefined && f.fee_type !== 'CNY') throw paramError('fee_type 仅支持 CNY');
  if (!/^https?:\/\/[^\s?#]+$/.test(f.notify_url)) throw paramError('notify_url 必须是不带参数的 URL');
  if (f.attach !== undefined && bytes(f.attach) > 127) throw paramError('attach 长度超过 127 字节');
  if (f.trade_type !== 'JSAPI' && f.trade_type !== 'NATIVE') throw paramError('trade_type 仅支持 JSAPI 与 NATIVE');
  if (f.trade_type === 'JSAPI' && !f.openid) throw paramError('trade_type=JSAPI 时,必须传参 openid');
  if (f.trade_type === 'NATIVE' && !f.product_id) throw paramError("当 trade_type 是 'NATIVE' 时,需指定非空的 product_id 值");
  if (f.time_expire !== undefined) {
    const at = parseCompactBeijing(f.time_expire);
    if (at === undefined) throw paramError('time_expire 格式错误 (yyyyMMddHHmmss)');
    if (at <= now) throw paramError('time_expire 已过期');
  }
}

function termsOf(f: Record<string, string>, signType: V2SignType): string {
  const entries = Object.keys(f)
    .filter((k) => !NOT_TERMS.has(k))
    .sort()
    .map((k) => [k, f[k]]);
  return JSON.stringify([signType, entries]);
}

const SIGN_TYPES: readonly V2SignType[] = ['MD5', 'HMAC-SHA256'];

function readSavedOrder(saved: unknown): WxPayV2Order {
  const r = SavedRecord.of(saved);
  const payment = readSavedPayment(r.record('payment'), 'wxpay-v2');
  if (!payment.prepayId) throw new Error('payment.prepayId is missing');
  return {
    payment,
    signType: r.oneOf('signType', SIGN_TYPES),
    terms: r.string('terms'),
    orderSign: r.string('orderSign'),
    attach: r.optString('attach'),
    refunds: readSavedRefunds(saved, payment),
  };
}

const REFUND_STATUS = { PROCESSING: 'PROCESSING', SUCCESS: 'SUCCESS', ABNORMAL: 'CHANGE', CLOSED: 'REFUNDCLOSE' } as const;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const REFUND_ERRORS: Record<RefundProblem, [string, string]> = {
  NOT_PAID: ['INVALID_REQUEST', '订单未支付,不能申请退款'],
  TOTAL_MISMATCH: ['INVALID_REQUEST', '订单金额或退款金额与之前请求不一致,请核实后再试'],
  CHANGED: ['REFUND_FEE_MISMATCH', '同一 out_refund_no 的退款金额须一致'],
  EXCEEDS: ['INVALID_REQUEST', 'refund_fee大于可退金额'],
  TOO_MANY: ['INVALID_REQUEST', '该订单的退款次数已达上限(50 次)'],
};

const TRADE_STATE = { WAITING: 'NOTPAY', PAID: 'SUCCESS', CLOSED: 'CLOSED', FAILED: 'PAYERROR' } as const;

export function createWxPayV2Emulator(opts: WxPayV2EmulatorOptions): WxPayEmulator & { received: ReceivedRequest[]; faults: Faults } {
  const { merchant, notifier } = opts;
  const now = opts.now ?? Date.now;
  const faults = opts.faults ?? new Faults();
  const received: ReceivedRequest[] = [];
  const byOutTradeNo = new Map<string, WxPayV2Order>();
  const byId = new Map<string, WxPayV2Order>();
  const lookups = paymentLookups(byId);
  const persisted = persistRecords(opts.store, readSavedOrder, () => [...byId.values()]);
  const refunds = new RefundLedger({
    provider: 'wxpay-v2',
    notifier,
    now,
    save: () => persisted.save(),
    newRefundId: () => `50000${randomDigits(24)}`,
    notification: (r) => (r.status === 'PROCESSING' ? undefined : { event: `refund_status ${REFUND_STATUS[r.status]}`, build: () => refundNotification(r) }),
    succeedAfterMs: opts.refundSucceedAfterMs,
  });
  for (const o of persisted.restored) {
    byOutTradeNo.set(o.payment.outTradeNo, o);
    byId.set(o.payment.id, o);
    refunds.restore(o);
  }

  const xmlReply = (fields: V2Fields): EmuReply => ({ statusCode: 200, headers: { ...XML_HEADERS }, body: toXml(fields) });
  /** return_code FAIL: the platform could not read the request; these answers are not signed. */
  const refuse = (msg: string) => xmlReply({ return_code: 'FAIL', return_msg: msg });
  /** A signed answer with the request's sign type. */
  const answer = (signType: V2SignType, fields: V2Fields) =>
    xmlReply(
      withSign(
        { return_code: 'SUCCESS', return_msg: 'OK', appid: merchant.appid, mch_id: merchant.mchid, nonce_str: nonceStr(), ...fields },
        signType,
        merchant.key,
      ),
    );

  function place(f: Record<string, string>, signType: V2SignType, terms: string): WxPayV2Order {
    checkUnifiedOrder(f, now());
    const createdAt = now();
    const tradeType = f.trade_type as 'JSAPI' | 'NATIVE';
    const prepayId = `wx${toCompactBeijing(createdAt)}${crypto.randomBytes(7).toString('hex')}`;
    const token = randomToken(12);
    const payment: EmulatedPayment = {
      id: tradeType === 'JSAPI' ? prepayId : token,
      provider: 'wxpay-v2',
      tradeType,
      outTradeNo: f.out_trade_no,
      mchid: merchant.mchid,
      appid: merchant.appid,
      amountFen: Number(f.total_fee),
      description: f.body,
      status: 'WAITING',
      createdAt,
      expiresAt: f.time_expire === undefined ? undefined : parseCompactBeijing(f.time_expire),
      notifyUrl: f.notify_url,
      openid: f.openid,
      prepayId,
      codeUrl: tradeType === 'NATIVE' ? codeUrlOf(token) : undefined,
      deliveries: [],
    };
    const order: WxPayV2Order = { payment, signType, terms, orderSign: f.sign, attach: f.attach, refunds: [] };
    byOutTradeNo.set(payment.outTradeNo, order);
    byId.set(payment.id, order);
    persisted.save();
    return order;
  }

  function unifiedOrder(f: Record<string, string>, signType: V2SignType): V2Fields {
    const terms = termsOf(f, signType);
    let order = byOutTradeNo.get(f.out_trade_no);
    if (order) {
      if (order.payment.status === 'PAID') throw new BizError('ORDERPAID', '该订单已支付');
      if (order.payment.status === 'CLOSED') throw new BizError('ORDERCLOSED', '该订单已关闭');
      // The same parameters again get the same order (a safe retry); anything else is a new order.
      if (order.terms !== terms) throw new BizError('OUT_TRADE_NO_USED', '商户订单号重复');
    } else {
      order = place(f, signType, terms);
    }
    const p = order.payment;
    return { result_code: 'SUCCESS', trade_type: p.tradeType, prepay_id: p.prepayId, code_url: p.codeUrl };
  }

  function findOrder(f: Record<string, string>): WxPayV2Order {
    if (!f.out_trade_no && !f.transaction_id) throw paramError('out_trade_no 与 transaction_id 至少填一个');
    const order = f.out_trade_no
      ? byOutTradeNo.get(f.out_trade_no)
      : [...byOutTradeNo.values()].find((o) => o.payment.transactionId === f.transaction_id);
    if (!order) throw new BizError('ORDERNOTEXIST', '此交易订单号不存在');
    return order;
  }

  function orderQuery(f: Record<string, string>): V2Fields {
    const order = findOrder(f);
    const { payment: p, attach } = order;
    const paid = p.status === 'PAID';
    const refunded = RefundLedger.fullyRefunded(order);
    return {
      result_code: 'SUCCESS',
      out_trade_no: p.outTradeNo,
      trade_type: p.tradeType,
      trade_state: refunded ? 'REFUND' : TRADE_STATE[p.status],
      trade_state_desc: refunded ? '转入退款' : { WAITING: '订单未支付', PAID: '支付成功', CLOSED: '订单已关闭', FAILED: '支付失败' }[p.status],
      total_fee: p.amountFen,
      fee_type: 'CNY',
      attach,
      openid: p.openid,
      bank_type: paid ? 'OTHERS' : undefined,
      cash_fee: paid ? p.amountFen : undefined,
      transaction_id: paid ? p.transactionId : undefined,
      time_end: paid && p.paidAt !== undefined ? toCompactBeijing(p.paidAt) : undefined,
    };
  }

  function closeOrder(f: Record<string, string>): V2Fields {
    if (!f.out_trade_no) throw paramError('缺少参数 out_trade_no');
    const { payment: p } = findOrder(f);
    if (p.status === 'PAID') throw new BizError('ORDERPAID', '订单已支付,不能发起关单');
    if (p.status === 'CLOSED') throw new BizError('ORDERCLOSED', '订单已关闭,无法重复关闭');
    p.status = 'CLOSED';
    persisted.save();
    return { result_code: 'SUCCESS', result_msg: 'OK' };
  }

  function refundApply(f: Record<string, string>): V2Fields {
    for (const name of ['out_refund_no', 'total_fee', 'refund_fee']) if (!f[name]) throw paramError(`缺少参数 ${name}`);
    if (!OUT_REFUND_NO.test(f.out_refund_no)) throw paramError('out_refund_no 须为 1-64 位数字、大小写字母或 _-|*@');
    for (const name of ['total_fee', 'refund_fee']) if (!/^[1-9]\d{0,9}$/.test(f[name])) throw paramError(`${name} 必须为正整数(单位:分)`);
    if (f.refund_fee_type !== undefined && f.refund_fee_type !== 'CNY') throw paramError('refund_fee_type 仅支持 CNY');
    // String(80), in bytes as v3 documents for the same field (v2's page gives no unit: inferred).
    if (f.refund_desc !== undefined && bytes(f.refund_desc) > 80) throw paramError('refund_desc 长度超过 80 字节');
    if (f.notify_url !== undefined && !/^https?:\/\/[^\s?#]+$/.test(f.notify_url)) throw paramError('notify_url 必须是不带参数的 URL');
    const order = findOrder(f);
    if (f.transaction_id && order.payment.transactionId !== f.transaction_id) throw new BizError('ORDERNOTEXIST', '此交易订单号不存在');
    let refund: EmulatedRefund;
    try {
      ({ refund } = refunds.apply(order, {
        outRefundNo: f.out_refund_no,
        refundFen: Number(f.refund_fee),
        totalFen: Number(f.total_fee),
        reason: f.refund_desc,
        // Without notify_url the platform uses the merchant platform's setting, which the emulator has not.
        notifyUrl: f.notify_url ?? '',
      }));
    } catch (e) {
      if (e instanceof RefundRuleError) throw new BizError(...REFUND_ERRORS[e.problem]);
      throw e;
    }
    return {
      result_code: 'SUCCESS',
      transaction_id: refund.transactionId,
      out_trade_no: refund.outTradeNo,
      out_refund_no: refund.outRefundNo,
      refund_id: refund.refundId,
      refund_fee: refund.amountFen,
      total_fee: refund.totalFen,
      fee_type: 'CNY',
      cash_fee: refund.totalFen,
      cash_refund_fee: refund.amountFen,
    };
  }

  /** By refund_id, out_refund_no (that refund), transaction_id or out_trade_no (all of the trade's). */
  function refundQuery(f: Record<string, string>): V2Fields {
    let found: EmulatedRefund[];
    let order: WxPayV2Order | undefined;
    if (f.refund_id || f.out_refund_no) {
      const r = f.out_refund_no ? refunds.get(f.out_refund_no) : refunds.list().find((x) => x.refundId === f.refund_id);
      if (!r || (f.refund_id && r.refundId !== f.refund_id)) throw new BizError('REFUNDNOTEXIST', '退款订单查询失败');
      order = byId.get(r.paymentId);
      found = [r];
    } else {
      if (!f.out_trade_no && !f.transaction_id) throw paramError('refund_id、out_refund_no、transaction_id、out_trade_no 至少填一个');
      order = findOrder(f);
      found = order.refunds;
      if (found.length === 0) throw new BizError('REFUNDNOTEXIST', '退款订单查询失败');
    }
    const fields: V2Fields = {
      result_code: 'SUCCESS',
      transaction_id: found[0].transactionId,
      out_trade_no: found[0].outTradeNo,
      total_fee: found[0].totalFen,
      cash_fee: found[0].totalFen,
      fee_type: 'CNY',
      refund_count: found.length,
      total_refund_count: order?.refunds.length,
    };
    found.forEach((r, n) => {
      Object.assign(fields, {
        [`out_refund_no_${n}`]: r.outRefundNo,
        [`refund_id_${n}`]: r.refundId,
        [`refund_channel_${n}`]: 'ORIGINAL',
        [`refund_fee_${n}`]: r.amountFen,
        [`settlement_refund_fee_${n}`]: r.amountFen,
        [`refund_status_${n}`]: REFUND_STATUS[r.status],
        [`refund_account_${n}`]: 'REFUND_SOURCE_UNSETTLED_FUNDS',
        [`refund_recv_accout_${n}`]: '支付用户的零钱',
        [`refund_success_time_${n}`]: r.status === 'SUCCESS' && r.settledAt !== undefined ? beijingDateTime(r.settledAt) : undefined,
      });
    });
    return fields;
  }

  const routes: Record<string, (f: Record<string, string>, signType: V2SignType) => V2Fields> = {
    '/pay/unifiedorder': unifiedOrder,
    '/pay/orderquery': orderQuery,
    '/pay/closeorder': closeOrder,
    '/secapi/pay/refund': refundApply,
    '/pay/refundquery': refundQuery,
  };

  async function handle(req: EmuRequest): Promise<EmuReply | undefined> {
    const route = routes[req.path];
    if (!route) return undefined;
    received.push({ method: req.method, path: req.path, body: req.rawBody.toString('utf8'), at: now() });
    const fault = faults.take(req);
    if (fault?.kind === 'reply') return fault.reply;
    if (fault?.kind === 'delay') await sleep(fault.ms);
    if (req.method !== 'POST') return refuse('请使用 post 方法');
    // The merchant API certificate is checked before anything is read (mutual TLS at the platform).
    if (req.path.startsWith('/secapi/')) {
      if (!req.tls) return refuse('请求需要双向证书: 请通过 https 并携带商户 API 证书');
      if (!req.tls.subjectCN) return refuse('请求需要双向证书: 未携带商户 API 证书');
      if (!req.tls.authorized) return refuse('证书校验错误: 证书不是受信任的 CA 签发的');
      if (req.tls.subjectCN !== merchant.mchid) return refuse(`证书校验错误: 证书属于商户 ${req.tls.subjectCN}`);
    }
    let f: Record<string, string>;
    try {
      f = parseXml(req.rawBody);
    } catch {
      return refuse('XML 格式错误');
    }
    const signType = f.sign_type ?? 'MD5';
    if (!isV2SignType(signType)) return refuse('sign_type 参数错误');
    if (f.mch_id !== merchant.mchid) return refuse('mch_id 参数错误');
    if (!f.sign) return refuse('缺少参数 sign');
    try {
      if (!verifyV2(f, signType, merchant.key)) throw new BizError('SIGNERROR', '签名错误');
      if (f.appid !== merchant.appid) throw new BizError('APPID_MCHID_NOT_MATCH', 'appid 和 mch_id 不匹配');
      if (!f.nonce_str || f.nonce_str.length > 32) throw paramError('nonce_str 必填,不长于 32 位');
      return answer(signType, route(f, signType));
    } catch (e) {
      if (!(e instanceof BizError)) throw e;
      return answer(signType, { result_code: 'FAIL', err_code: e.errCode, err_code_des: e.message });
    }
  }

  /** The payment notification, built anew (new nonce, new sign) for every delivery attempt. */
  function notification(o: WxPayV2Order): { headers: Record<string, string>; body: string } {
    const p = o.payment;
    const fields: V2Fields = {
      return_code: 'SUCCESS',
      result_code: 'SUCCESS',
      appid: merchant.appid,
      mch_id: merchant.mchid,
      nonce_str: nonceStr(),
      openid: p.openid,
      is_subscribe: 'N',
      trade_type: p.tradeType,
      bank_type: 'OTHERS',
      total_fee: p.amountFen,
      cash_fee: p.amountFen,
      fee_type: 'CNY',
      transaction_id: p.transactionId,
      out_trade_no: p.outTradeNo,
      attach: o.attach,
      time_end: toCompactBeijing(p.paidAt!),
      // The platform names the sign type only when it is not the default.
      sign_type: o.signType === 'HMAC-SHA256' ? 'HMAC-SHA256' : undefined,
    };
    return { headers: { ...XML_HEADERS }, body: toXml(withSign(fields, o.signType, merchant.key)) };
  }

  /** A refund notification: no sign; the refund's details are encrypted in req_info (root <root>). */
  function refundNotification(r: EmulatedRefund): { headers: Record<string, string>; body: string } {
    const details = toXml({
      out_trade_no: r.outTradeNo,
      transaction_id: r.transactionId,
      out_refund_no: r.outRefundNo,
      refund_id: r.refundId,
      total_fee: r.totalFen,
      settlement_total_fee: r.totalFen,
      refund_fee: r.amountFen,
      settlement_refund_fee: r.amountFen,
      refund_status: REFUND_STATUS[r.status],
      success_time: r.status === 'SUCCESS' && r.settledAt !== undefined ? beijingDateTime(r.settledAt) : undefined,
      refund_recv_accout: '支付用户的零钱',
      refund_account: 'REFUND_SOURCE_UNSETTLED_FUNDS',
      refund_request_source: 'API',
    }).replace(/^<xml>/, '<root>').replace(/<\/xml>$/, '</root>');
    const fields: V2Fields = {
      return_code: 'SUCCESS',
      appid: merchant.appid,
      mch_id: merchant.mchid,
      nonce_str: nonceStr(),
      req_info: encryptReqInfo(details, merchant.key),
    };
    return { headers: { ...XML_HEADERS }, body: toXml(fields) };
  }

  async function settle(id: string, outcome: PayerOutcome): Promise<EmulatedPayment> {
    const o = byId.get(id);
    if (!o) throw new EmulatorRefusal(`no WeChat Pay v2 payment ${id}`, 404);
    const p = o.payment;
    const paidAt = applyPayerOutcome(p, outcome, now());
    if (paidAt === undefined) {
      persisted.save();
      return p;
    }
    p.transactionId = `4200${toCompactBeijing(paidAt).slice(0, 8)}${randomDigits(16)}`;
    p.openid ??= `o${randomToken(27)}`;
    persisted.save();
    await notifier.send(p, paymentJob(o));
    return p;
  }

  /** A paid order's notification delivery, from its record: when it is paid, and at start for one an earlier run left pending. */
  function paymentJob(o: WxPayV2Order): NotificationJob {
    return { build: () => notification(o), recorded: () => persisted.save() };
  }

  async function requestPayment(
    params: { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string },
    outcome: PayerOutcome,
  ): Promise<EmulatedPayment> {
    const prepayId = /^prepay_id=(.+)$/.exec(params.package)?.[1];
    const o = prepayId === undefined ? undefined : byId.get(prepayId);
    if (!o || o.payment.tradeType !== 'JSAPI') throw new EmulatorRefusal(`unknown package ${JSON.stringify(params.package)}`, 404);
    if (params.signType !== o.signType) throw new EmulatorRefusal(`signType ${params.signType} is not the order's ${o.signType}`);
    if (!/^\d{10}$/.test(params.timeStamp)) throw new EmulatorRefusal('timeStamp must be 10 digits of seconds');
    if (params.paySign === o.orderSign) throw new EmulatorRefusal('paySign is the unified order\'s sign: sign appId, nonceStr, package, signType, timeStamp');
    const signed = {
      appId: o.payment.appid,
      nonceStr: params.nonceStr,
      package: params.package,
      signType: params.signType,
      timeStamp: params.timeStamp,
      sign: params.paySign,
    };
    if (!verifyV2(signed, o.signType, merchant.key)) throw new EmulatorRefusal('支付验证签名失败 (paySign does not verify)');
    return settle(o.payment.id, outcome);
  }

  async function scan(codeUrl: string, outcome: PayerOutcome): Promise<EmulatedPayment> {
    const p = lookups.findByCodeUrl(codeUrl);
    if (!p) throw new EmulatorRefusal(`unknown code_url ${codeUrl}`, 404);
    return settle(p.id, outcome);
  }

  for (const o of persisted.restored) notifier.resume(o.payment, paymentJob(o));

  return {
    provider: 'wxpay-v2',
    handle,
    list: () => [...byId.values()].map((o) => o.payment),
    ...lookups,
    settle,
    listRefunds: () => refunds.list(),
    settleRefund: (outRefundNo, outcome) => refunds.settle(outRefundNo, outcome),
    requestPayment,
    scan,
    received,
    faults,
  };
}
