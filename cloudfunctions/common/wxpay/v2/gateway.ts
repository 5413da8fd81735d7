import * as net from 'node:net';
import type { RequestPaymentParams } from '../../../../typings/checkout';
import type { WxPayV2Config } from '../../config';
import { AppError, invalidArgument, ProviderError } from '../../errors';
import type {
  HttpReply,
  HttpRequestLike,
  NotificationContext,
  PrepayRequest,
  PrepayResult,
  TradeReport,
  WxPayGateway,
} from '../../payment/gateway';
import { checkRefund, type ProviderNotification, type RefundApplication, type RefundQuery, type RefundReport } from '../../payment/refund';
import { DEFAULT_RETRY, type RetryPolicy } from '../../payment/retry';
import { toCompactBeijing } from '../../time';
import { callV2, type V2CallOptions } from './api';
import { ackV2, readV2AnyNotification, readV2Notification, rejectV2 } from './notification';
import { acceptedRefundFrom, queryFields, refundReportFrom } from './refund';
import { tradeReportFrom, tradeStateOf, V2FieldError } from './report';
import { isV2SignType, nonceStr, type V2Fields, withSign } from './sign';

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{1,32}$/;
const PREPAY_ID = /^[0-9A-Za-z_-]{1,64}$/;

/** Bad input gets a typed error before anything is sent. */
function unifiedOrderFields(req: PrepayRequest): V2Fields {
  if (!OUT_TRADE_NO.test(req.outTradeNo)) throw invalidArgument('outTradeNo must be 1–32 of [0-9A-Za-z_-|*].');
  if (!req.description || Buffer.byteLength(req.description, 'utf8') > 128) throw invalidArgument('description must be 1–128 bytes.');
  if (!Number.isSafeInteger(req.amountFen) || req.amountFen <= 0) throw invalidArgument('amountFen must be a positive whole number of fen.');
  if (!Number.isSafeInteger(req.expiresAt) || req.expiresAt <= 0) throw invalidArgument('expiresAt must be epoch milliseconds.');
  if (!/^https?:\/\/[^\s?#]+$/.test(req.notifyUrl)) throw invalidArgument('notifyUrl must be an http(s) URL without a query string.');
  if (req.tradeType !== 'JSAPI' && req.tradeType !== 'NATIVE') throw invalidArgument('tradeType must be JSAPI or NATIVE.');
  if (req.tradeType === 'JSAPI' && !req.openid) throw invalidArgument('openid is required for JSAPI.');
  if (req.attach !== undefined && Buffer.byteLength(req.attach, 'utf8') > 127) throw invalidArgument('attach must be at most 127 bytes.');
  const ip = req.clientIp ?? '127.0.0.1';
  if (net.isIP(ip) === 0) throw invalidArgument('clientIp must be an IP address.');
  return {
    body: req.description,
    out_trade_no: req.outTradeNo,
    total_fee: req.amountFen,
    spbill_create_ip: ip,
    time_expire: toCompactBeijing(req.expiresAt),
    notify_url: req.notifyUrl,
    trade_type: req.tradeType,
    openid: req.tradeType === 'JSAPI' ? req.openid : undefined,
    // The platform requires product_id for NATIVE; one order is one "product" here.
    product_id: req.tradeType === 'NATIVE' ? req.outTradeNo : undefined,
    attach: req.attach,
  };
}

/** WeChat Pay API v2 (XML, MD5 / HMAC-SHA256 with the API key) behind the common gateway interface. */
export class WxPayV2Gateway implements WxPayGateway {
  readonly version = 'v2' as const;
  private readonly call: V2CallOptions;

  constructor(
    private readonly config: WxPayV2Config,
    opts: { retry?: RetryPolicy; timeoutMs?: number } = {},
  ) {
    this.call = { retry: opts.retry ?? DEFAULT_RETRY, timeoutMs: opts.timeoutMs ?? 5000 };
  }

  async prepay(req: PrepayRequest): Promise<PrepayResult> {
    const answer = await callV2(this.config, '/pay/unifiedorder', unifiedOrderFields(req), this.call);
    const signType = this.config.signType;
    if (req.tradeType === 'JSAPI') {
      if (!answer.prepay_id) throw new ProviderError('WeChat Pay unifiedorder answered without prepay_id');
      return { tradeType: 'JSAPI', prepayId: answer.prepay_id, signType };
    }
    if (!answer.code_url) throw new ProviderError('WeChat Pay unifiedorder answered without code_url');
    return { tradeType: 'NATIVE', codeUrl: answer.code_url, signType };
  }

  /** The second signing, with its own nonce and the order's sign type (never the unified order's sign). */
  requestPaymentParams(prepayId: string, signType: RequestPaymentParams['signType']): RequestPaymentParams {
    if (!isV2SignType(signType)) throw invalidArgument(`API v2 signs with MD5 or HMAC-SHA256, not ${signType}.`);
    if (!PREPAY_ID.test(prepayId)) throw invalidArgument('prepayId is malformed.');
    const params = {
      appId: this.config.appid,
      timeStamp: String(Math.floor(Date.now() / 1000)),
      nonceStr: nonceStr(),
      package: `prepay_id=${prepayId}`,
      signType,
    };
    const { sign } = withSign(params, signType, this.config.key);
    return { timeStamp: params.timeStamp, nonceStr: params.nonceStr, package: params.package, signType, paySign: sign };
  }

  async query(outTradeNo: string): Promise<TradeReport> {
    if (!OUT_TRADE_NO.test(outTradeNo)) throw invalidArgument('outTradeNo must be 1–32 of [0-9A-Za-z_-|*].');
    let answer: Record<string, string>;
    try {
      answer = await callV2(this.config, '/pay/orderquery', { out_trade_no: outTradeNo }, this.call);
    } catch (e) {
      // Never placed (or not yet visible): nothing was paid.
      if (e instanceof ProviderError && e.providerCode === 'ORDERNOTEXIST') return { outTradeNo, state: 'NOTPAY' };
      throw e;
    }
    try {
      if (answer.out_trade_no !== outTradeNo) throw new V2FieldError(`answer is about ${JSON.stringify(answer.out_trade_no)}`);
      const state = tradeStateOf(answer.trade_state);
      return tradeReportFrom(answer, state, state === 'SUCCESS' ? ['total_fee', 'transaction_id', 'time_end'] : []);
    } catch (e) {
      if (e instanceof V2FieldError) throw new ProviderError(`WeChat Pay orderquery answer is unusable: ${e.message}`);
      throw e;
    }
  }

  async close(outTradeNo: string): Promise<void> {
    if (!OUT_TRADE_NO.test(outTradeNo)) throw invalidArgument('outTradeNo must be 1–32 of [0-9A-Za-z_-|*].');
    try {
      await callV2(this.config, '/pay/closeorder', { out_trade_no: outTradeNo }, this.call);
    } catch (e) {
      // Already closed, or never placed (a placement whose answer was lost may not have landed): either way nobody can pay it.
      if (e instanceof ProviderError && (e.providerCode === 'ORDERCLOSED' || e.providerCode === 'ORDERNOTEXIST')) return;
      throw e;
    }
  }

  readNotification(req: HttpRequestLike, ctx: NotificationContext): Promise<TradeReport> {
    return readV2Notification(this.config, req, ctx);
  }

  readAnyNotification(req: HttpRequestLike, ctx: NotificationContext): Promise<ProviderNotification> {
    return readV2AnyNotification(this.config, req, ctx);
  }

  /**
   * `POST /secapi/pay/refund`, with the merchant API certificate (mutual TLS). A SUCCESS answer only
   * means accepted: the report says PROCESSING, and the outcome comes by notification or queryRefund.
   */
  async refund(application: RefundApplication): Promise<RefundReport> {
    checkRefund(application);
    const clientCert = this.config.clientCert;
    if (!clientCert) {
      throw new AppError('REFUND_UNAVAILABLE', 'WeChat Pay v2 refunds need the merchant API certificate: set WXPAY_V2_CERT_PATH and WXPAY_V2_CERT_KEY_PATH (PEM).');
    }
    const fields: V2Fields = {
      out_trade_no: application.outTradeNo,
      out_refund_no: application.outRefundNo,
      total_fee: application.totalFen,
      refund_fee: application.amountFen,
      refund_desc: application.reason,
      notify_url: application.notifyUrl,
    };
    const answer = await callV2(this.config, '/secapi/pay/refund', fields, { ...this.call, clientCert });
    try {
      if (answer.out_refund_no !== application.outRefundNo) throw new V2FieldError(`answer is about refund ${JSON.stringify(answer.out_refund_no)}`);
      if (answer.out_trade_no !== undefined && answer.out_trade_no !== application.outTradeNo) throw new V2FieldError(`answer is about order ${JSON.stringify(answer.out_trade_no)}`);
      return acceptedRefundFrom(answer);
    } catch (e) {
      if (e instanceof V2FieldError) throw new ProviderError(`WeChat Pay refund answer is unusable: ${e.message}`);
      throw e;
    }
  }

  /** `POST /pay/refundquery` by out_refund_no (no certificate needed); REFUNDNOTEXIST is a ProviderError. */
  async queryRefund(query: RefundQuery): Promise<RefundReport> {
    checkRefund(query);
    const answer = await callV2(this.config, '/pay/refundquery', { out_refund_no: query.outRefundNo }, this.call);
    try {
      if (answer.out_trade_no !== query.outTradeNo) throw new V2FieldError(`answer is about order ${JSON.stringify(answer.out_trade_no)}`);
      const count = Number(answer.refund_count ?? '0');
      for (let n = 0; n < count && n < 50; n++) {
        if (answer[`out_refund_no_${n}`] === query.outRefundNo) return refundReportFrom(answer, queryFields(n));
      }
      throw new V2FieldError(`answer does not list refund ${query.outRefundNo}`);
    } catch (e) {
      if (e instanceof V2FieldError) throw new ProviderError(`WeChat Pay refundquery answer is unusable: ${e.message}`);
      throw e;
    }
  }

  ackNotification(): HttpReply {
    return ackV2();
  }

  rejectNotification(statusCode: number, message: string): HttpReply {
    return rejectV2(statusCode, message);
  }
}
