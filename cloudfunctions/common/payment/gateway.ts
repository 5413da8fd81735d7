import type { RequestPaymentParams } from '../../../typings/checkout';
import type { ProviderNotification, RefundApplication, RefundQuery, RefundReport } from './refund';

/**
 * What the order service needs from a WeChat Pay API version. v3 and v2 each implement it;
 * the order service never sees a signature, a header or an XML document.
 */

export type TradeType = 'JSAPI' | 'NATIVE';

export interface PrepayRequest {
  outTradeNo: string;
  /** Shown to the payer; at most 127 bytes (v3) / 128 (v2). */
  description: string;
  amountFen: number;
  /** The order's expiresAt (epoch ms): becomes `time_expire`. */
  expiresAt: number;
  notifyUrl: string;
  tradeType: TradeType;
  /** Required for JSAPI. */
  openid?: string;
  attach?: string;
  /** v2 `spbill_create_ip`. */
  clientIp?: string;
}

export type PrepayResult =
  | { tradeType: 'JSAPI'; prepayId: string; signType: RequestPaymentParams['signType'] }
  | { tradeType: 'NATIVE'; codeUrl: string; signType: RequestPaymentParams['signType'] };

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

/** A verified statement from the provider about one trade (from a notification or an active query). */
export interface TradeReport {
  outTradeNo: string;
  state: TradeState;
  appid?: string;
  mchid?: string;
  /** The order total the provider charged, in fen. */
  amountFen?: number;
  transactionId?: string;
  /** Epoch ms. */
  paidAt?: number;
  openid?: string;
  /** The provider's own id of the trade, for providers that are asked by it (PAYJS). */
  providerOrderId?: string;
}

export interface HttpRequestLike {
  method: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The exact bytes received: signatures are verified over them. */
  rawBody: Buffer;
}

export interface HttpReply {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Thrown by `readNotification` when a notification cannot be trusted or understood. */
export class NotificationRejected extends Error {
  constructor(
    message: string,
    /** 401 for bad signatures/keys/timestamps, 400 for malformed bodies. */
    readonly statusCode: 400 | 401 = 401,
  ) {
    super(message);
    this.name = 'NotificationRejected';
  }
}

/** Lets v2 verify a notification with the sign type the order was placed with. */
export interface NotificationContext {
  signTypeOf(outTradeNo: string): Promise<RequestPaymentParams['signType'] | undefined>;
}

export interface WxPayGateway {
  readonly version: 'v3' | 'v2';
  /** Places (or, with the same out_trade_no and parameters, re-places) an order at the provider. */
  prepay(req: PrepayRequest): Promise<PrepayResult>;
  /** The second signing: parameters for `wx.requestPayment`. */
  requestPaymentParams(prepayId: string, signType: RequestPaymentParams['signType']): RequestPaymentParams;
  /** Active query by out_trade_no; the answer's signature is verified. */
  query(outTradeNo: string): Promise<TradeReport>;
  /** Closes the trade at the provider; closing an already closed trade is not an error. */
  close(outTradeNo: string): Promise<void>;
  /** Verifies, decrypts and decodes a payment notification; throws NotificationRejected. */
  readNotification(req: HttpRequestLike, ctx: NotificationContext): Promise<TradeReport>;
  /** The same for a payment or a refund notification (both arrive on the one notify URL). */
  readAnyNotification(req: HttpRequestLike, ctx: NotificationContext): Promise<ProviderNotification>;
  /** Applies for a refund; the answer usually only means "accepted". */
  refund(application: RefundApplication): Promise<RefundReport>;
  /** Asks about a refund by out_refund_no; the answer is verified. */
  queryRefund(query: RefundQuery): Promise<RefundReport>;
  /** The reply that tells the provider "received, stop sending". */
  ackNotification(): HttpReply;
  /** The reply that tells the provider "not accepted, send again later". */
  rejectNotification(statusCode: number, message: string): HttpReply;
}
