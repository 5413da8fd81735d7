import type { RequestPaymentParams } from '../../../../typings/checkout';
import type { WxPayV3Config } from '../../config';
import { ProviderError, TIME_EXPIRE_TOO_CLOSE, invalidArgument } from '../../errors';
import { httpRequest, type HttpAnswer } from '../../http';
import {
  NotificationRejected,
  type HttpReply,
  type HttpRequestLike,
  type PrepayRequest,
  type PrepayResult,
  type TradeReport,
  type WxPayGateway,
} from '../../payment/gateway';
import { checkRefund, type ProviderNotification, type RefundApplication, type RefundQuery, type RefundReport } from '../../payment/refund';
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from '../../payment/retry';
import { toRfc3339Beijing } from '../../time';
import { decryptResource, ResourceDecryptError } from './aead';
import { CertificateListError, PlatformKeyring } from './platform-certificates';
import { authorizationHeader, newNonce, paySignMessage, rsaSign, unixSeconds } from './signing';
import { MalformedRefund, toRefundReport } from './refund';
import { MalformedTransaction, toTradeReport } from './transaction';
import { WechatpaySignatureError } from './verify';

export interface WxPayV3GatewayOptions {
  retry?: RetryPolicy;
  /** Per attempt. */
  timeoutMs?: number;
  /** Epoch ms; injectable so tests can move the clock. */
  now?: () => number;
}

/** Same rule as the platform: 6–32 of digits, letters and `_-|*`. */
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
/** At least this long between an attempt to place a trade and its time_expire (see prepay). */
export const V3_TIME_EXPIRE_MARGIN_MS = 90_000;
const RETRYABLE_CODES = new Set(['SYSTEM_ERROR', 'SYSTEMERROR', 'FREQUENCY_LIMITED']);
const NOT_FOUND_CODES = new Set(['ORDER_NOT_EXIST', 'ORDERNOTEXIST']);
/** Refund notification event types and the refund_status each must carry. */
const REFUND_EVENTS: Record<string, RefundReport['status'] | undefined> = { 'REFUND.SUCCESS': 'SUCCESS', 'REFUND.ABNORMAL': 'ABNORMAL', 'REFUND.CLOSED': 'CLOSED' };

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function checkOutTradeNo(outTradeNo: string): void {
  if (!OUT_TRADE_NO.test(outTradeNo)) throw invalidArgument(`out_trade_no must be 6–32 of [0-9A-Za-z_-|*]: ${JSON.stringify(outTradeNo)}.`);
}

function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProviderError(`WeChat Pay sent an unreadable ${what}.`);
  }
}

/** WeChat Pay API v3 (JSAPI and Native), the version new merchants get. */
export class WxPayV3Gateway implements WxPayGateway {
  readonly version = 'v3' as const;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly keys: PlatformKeyring;

  constructor(
    private readonly config: WxPayV3Config,
    opts: WxPayV3GatewayOptions = {},
  ) {
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    // Read the clock on each call (not a captured Date.now), so a faked clock in tests is seen.
    this.now = opts.now ?? (() => Date.now());
    this.keys = new PlatformKeyring(config.platformKeys, config.apiV3Key, () => this.send('GET', '/v3/certificates'), this.now);
  }

  async prepay(req: PrepayRequest): Promise<PrepayResult> {
    checkOutTradeNo(req.outTradeNo);
    if (!Number.isSafeInteger(req.amountFen) || req.amountFen <= 0) throw invalidArgument(`amount must be a positive whole number of fen, not ${req.amountFen}.`);
    if (req.description === '' || utf8Bytes(req.description) > 127) throw invalidArgument('description must be 1–127 bytes.');
    if (req.attach !== undefined && utf8Bytes(req.attach) > 128) throw invalidArgument('attach must be at most 128 bytes.');
    if (req.tradeType === 'JSAPI' && !req.openid) throw invalidArgument('a JSAPI order needs the payer openid.');
    if (!Number.isFinite(req.expiresAt)) throw invalidArgument('expiresAt must be a time.');

    // Built once: every retry sends these exact bytes (WeChat Pay rejects nulls, so absent stays absent).
    const body: Record<string, unknown> = {
      appid: this.config.appid,
      mchid: this.config.mchid,
      description: req.description,
      out_trade_no: req.outTradeNo,
      time_expire: toRfc3339Beijing(req.expiresAt),
      notify_url: req.notifyUrl,
      amount: { total: req.amountFen, currency: 'CNY' },
    };
    if (req.attach !== undefined && req.attach !== '') body.attach = req.attach;
    if (req.tradeType === 'JSAPI') body.payer = { openid: req.openid };
    const path = req.tradeType === 'JSAPI' ? '/v3/pay/transactions/jsapi' : '/v3/pay/transactions/native';
    // WeChat Pay does not refuse a close time_expire: it extends it to a minute after it places the
    // trade (JSAPI下单 docs). An attempt that starts this close to expiresAt could be payable after it.
    const latestStart = req.expiresAt - V3_TIME_EXPIRE_MARGIN_MS;
    const json = parseJson((await this.call('POST', path, JSON.stringify(body), latestStart)).body, 'order answer') as Record<string, unknown>;

    if (req.tradeType === 'JSAPI') {
      if (typeof json?.prepay_id !== 'string' || json.prepay_id === '') throw new ProviderError('WeChat Pay answered the order without a prepay_id.');
      return { tradeType: 'JSAPI', prepayId: json.prepay_id, signType: 'RSA' };
    }
    if (typeof json?.code_url !== 'string' || !json.code_url.startsWith('weixin://')) throw new ProviderError('WeChat Pay answered the order without a code_url.');
    return { tradeType: 'NATIVE', codeUrl: json.code_url, signType: 'RSA' };
  }

  requestPaymentParams(prepayId: string, signType: RequestPaymentParams['signType']): RequestPaymentParams {
    if (signType !== 'RSA') throw invalidArgument(`API v3 signs wx.requestPayment with RSA, not ${signType}.`);
    if (!prepayId) throw invalidArgument('prepayId is required.');
    const timeStamp = unixSeconds(this.now());
    const nonceStr = newNonce();
    const pkg = `prepay_id=${prepayId}`;
    // appId is signed but not passed to wx.requestPayment: it must be the one the order was placed with.
    const paySign = rsaSign(paySignMessage(this.config.appid, timeStamp, nonceStr, pkg), this.config.privateKey);
    return { timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
  }

  async query(outTradeNo: string): Promise<TradeReport> {
    checkOutTradeNo(outTradeNo);
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(this.config.mchid)}`;
    let answer: HttpAnswer;
    try {
      answer = await this.call('GET', path);
    } catch (e) {
      // Never placed at WeChat Pay: nothing can have been paid.
      if (e instanceof ProviderError && e.providerCode && NOT_FOUND_CODES.has(e.providerCode)) return { outTradeNo, state: 'NOTPAY' };
      throw e;
    }
    let report: TradeReport;
    try {
      report = toTradeReport(parseJson(answer.body, 'query answer'));
    } catch (e) {
      if (e instanceof MalformedTransaction) throw new ProviderError(`WeChat Pay sent a malformed transaction: ${e.message}`);
      throw e;
    }
    if (report.outTradeNo !== outTradeNo || (report.mchid !== undefined && report.mchid !== this.config.mchid)) {
      throw new ProviderError(`WeChat Pay answered the query for ${outTradeNo} with another trade (${report.mchid}/${report.outTradeNo}).`);
    }
    return report;
  }

  async close(outTradeNo: string): Promise<void> {
    checkOutTradeNo(outTradeNo);
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`;
    try {
      const answer = await this.call('POST', path, JSON.stringify({ mchid: this.config.mchid }));
      if (answer.status !== 204) throw new ProviderError(`WeChat Pay answered close with HTTP ${answer.status}, expected 204.`);
    } catch (e) {
      // Already closed, or never placed: either way nobody can pay it any more.
      const done = e instanceof ProviderError && (e.providerCode === 'ORDER_CLOSED' || (e.providerCode !== undefined && NOT_FOUND_CODES.has(e.providerCode)));
      if (!done) throw e;
    }
  }

  async readNotification(req: HttpRequestLike): Promise<TradeReport> {
    const { eventType, plaintext } = await this.openNotification(req);
    if (eventType !== 'TRANSACTION.SUCCESS') throw new NotificationRejected(`unexpected event_type ${JSON.stringify(eventType)}.`, 400);
    try {
      return toTradeReport(JSON.parse(plaintext));
    } catch (e) {
      throw new NotificationRejected(`resource is not a usable transaction: ${(e as Error).message}`, 400);
    }
  }

  /** Payment (TRANSACTION.SUCCESS) and refund (REFUND.SUCCESS | ABNORMAL | CLOSED) notifications share one URL. */
  async readAnyNotification(req: HttpRequestLike): Promise<ProviderNotification> {
    const { eventType, originalType, plaintext } = await this.openNotification(req);
    const refundStatus = REFUND_EVENTS[eventType as string];
    if (refundStatus === undefined) return { kind: 'payment', report: await this.readNotification(req) };
    if (originalType !== undefined && originalType !== 'refund') throw new NotificationRejected(`a ${eventType} resource of type ${JSON.stringify(originalType)}.`, 400);
    let report: RefundReport;
    try {
      report = toRefundReport(JSON.parse(plaintext), 'refund_status', this.config.mchid);
    } catch (e) {
      throw new NotificationRejected(`resource is not a usable refund: ${(e as Error).message}`, 400);
    }
    if (report.status !== refundStatus) throw new NotificationRejected(`${eventType} carries refund_status ${report.status}.`, 400);
    if (!report.outTradeNo) throw new NotificationRejected('refund notification has no out_trade_no.', 400);
    return { kind: 'refund', report };
  }

  /**
   * `POST /v3/refund/domestic/refunds`. The answer is verified like every answer; its status is usually
   * PROCESSING ("accepted"): the outcome comes by notification or queryRefund.
   */
  async refund(application: RefundApplication): Promise<RefundReport> {
    checkRefund(application);
    // Built once: every retry sends these bytes, with the same out_refund_no (refunded at most once).
    const body: Record<string, unknown> = { out_trade_no: application.outTradeNo, out_refund_no: application.outRefundNo };
    if (application.reason !== undefined) body.reason = application.reason;
    if (application.notifyUrl !== undefined) body.notify_url = application.notifyUrl;
    body.amount = { refund: application.amountFen, total: application.totalFen, currency: 'CNY' };
    const answer = await this.call('POST', '/v3/refund/domestic/refunds', JSON.stringify(body));
    return this.refundAnswer(answer, application.outRefundNo);
  }

  /** `GET /v3/refund/domestic/refunds/{out_refund_no}`; a number WeChat Pay does not know is a ProviderError RESOURCE_NOT_EXISTS. */
  async queryRefund(query: RefundQuery): Promise<RefundReport> {
    checkRefund(query);
    const answer = await this.call('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(query.outRefundNo)}`);
    return this.refundAnswer(answer, query.outRefundNo);
  }

  private refundAnswer(answer: HttpAnswer, outRefundNo: string): RefundReport {
    let report: RefundReport;
    try {
      report = toRefundReport(parseJson(answer.body, 'refund answer'), 'status', this.config.mchid);
    } catch (e) {
      if (e instanceof MalformedRefund) throw new ProviderError(`WeChat Pay sent a malformed refund: ${e.message}`);
      throw e;
    }
    if (report.outRefundNo !== outRefundNo) throw new ProviderError(`WeChat Pay answered for refund ${report.outRefundNo}, not ${outRefundNo}.`);
    return report;
  }

  /** Verifies the signature over the raw body, then decrypts the resource. */
  private async openNotification(req: HttpRequestLike): Promise<{ eventType: unknown; originalType?: unknown; plaintext: string }> {
    try {
      await this.keys.verify(req.headers, req.rawBody);
    } catch (e) {
      if (e instanceof WechatpaySignatureError) throw new NotificationRejected(`signature rejected: ${e.message}`, 401);
      // The certificate list could not be fetched or read: 5xx, WeChat Pay sends the notification again.
      throw e;
    }
    let note: unknown;
    try {
      note = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      throw new NotificationRejected('body is not JSON.', 400);
    }
    const n = note as { event_type?: unknown; resource?: Record<string, unknown> } | null;
    const eventType = n?.event_type;
    if (eventType !== 'TRANSACTION.SUCCESS' && (typeof eventType !== 'string' || REFUND_EVENTS[eventType] === undefined)) {
      throw new NotificationRejected(`unexpected event_type ${JSON.stringify(eventType)}.`, 400);
    }
    const r = n!.resource;
    if (typeof r !== 'object' || r === null || r.algorithm !== 'AEAD_AES_256_GCM') throw new NotificationRejected('resource is missing or not AEAD_AES_256_GCM.', 400);
    const { ciphertext, nonce, associated_data: aad = '' } = r;
    if (typeof ciphertext !== 'string' || typeof nonce !== 'string' || typeof aad !== 'string') throw new NotificationRejected('resource fields are missing.', 400);
    try {
      return { eventType, originalType: r.original_type, plaintext: decryptResource({ ciphertext, nonce, associated_data: aad }, this.config.apiV3Key) };
    } catch (e) {
      if (e instanceof ResourceDecryptError) throw new NotificationRejected(e.message, 401);
      throw e;
    }
  }

  ackNotification(): HttpReply {
    return { statusCode: 204, headers: {}, body: '' };
  }

  rejectNotification(statusCode: number, message: string): HttpReply {
    return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ code: 'FAIL', message }) };
  }

  /** One signed call with retries; answers 2xx only after verifying WeChat Pay's signature. */
  private async call(method: 'GET' | 'POST', pathWithQuery: string, body?: string, latestStart?: number): Promise<HttpAnswer> {
    const answer = await this.send(method, pathWithQuery, body, latestStart);
    try {
      await this.keys.verify(answer.headers, answer.body);
    } catch (e) {
      if (e instanceof WechatpaySignatureError) throw new ProviderError(`WeChat Pay answer failed verification: ${e.message}`, 'ANSWER_SIGNATURE_INVALID');
      if (e instanceof CertificateListError || e instanceof ResourceDecryptError) throw new ProviderError(`the WeChat Pay certificate list is unusable: ${e.message}`);
      throw e;
    }
    return answer;
  }

  /**
   * The signed request with retries; a 2xx answer is returned unverified (call() verifies it). No
   * attempt starts after `latestStart` (epoch ms).
   */
  private send(method: 'GET' | 'POST', pathWithQuery: string, body?: string, latestStart?: number): Promise<HttpAnswer> {
    const url = new URL(this.config.apiBase + pathWithQuery);
    const signedPath = url.pathname + url.search;
    return withRetries(async () => {
      if (latestStart !== undefined && this.now() > latestStart) {
        throw new ProviderError(`too close to the order's expiry to place its trade (less than ${V3_TIME_EXPIRE_MARGIN_MS / 1000} s left).`, TIME_EXPIRE_TOO_CLOSE);
      }
      // Fresh nonce and timestamp per attempt; the body stays the same bytes.
      const authorization = authorizationHeader(
        { mchid: this.config.mchid, serialNo: this.config.certSerial, privateKey: this.config.privateKey },
        { method, pathWithQuery: signedPath, body: body ?? '', nowMs: this.now() },
      );
      const headers: Record<string, string> = { Authorization: authorization, Accept: 'application/json', 'User-Agent': 'wechat-miniprogram-checkout-template' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const answer = await httpRequest({ method, url: url.toString(), headers, body, timeoutMs: this.timeoutMs, ...(this.config.apiCa ? { tls: { ca: this.config.apiCa } } : {}) });
      if (answer.status >= 200 && answer.status < 300) return answer;
      throw errorFrom(answer);
    }, this.retry);
  }
}

/** `{code, message}` error bodies → ProviderError; 5xx and the documented transient codes are retryable. */
function errorFrom(answer: HttpAnswer): ProviderError {
  let code: string | undefined;
  let message = `HTTP ${answer.status}`;
  try {
    const json = JSON.parse(answer.body.toString('utf8')) as { code?: unknown; message?: unknown };
    if (typeof json.code === 'string') code = json.code;
    if (typeof json.message === 'string') message = json.message;
  } catch {
    // A proxy's HTML error page: the status says enough.
  }
  const retryable = answer.status >= 500 || (code !== undefined && RETRYABLE_CODES.has(code));
  return new ProviderError(`WeChat Pay refused the request (${code ?? answer.status}): ${message}`, code, retryable);
}
