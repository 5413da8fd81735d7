/**
 * What every payment emulator of the local host offers: the provider's own HTTP API (handle), and the
 * payer's side (settle), which a real platform only exposes through the payer's phone.
 */

export type ProviderName = 'wxpay-v3' | 'wxpay-v2' | 'payjs';

export interface EmuRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  rawBody: Buffer;
  /** Set when the request came over TLS (the local host's https listener): the client certificate, if any. */
  tls?: ClientCertificate;
}

export interface ClientCertificate {
  /** True when the client sent a certificate that chains to the listener's CA (the sandbox CA). */
  authorized: boolean;
  /** The certificate's subject CN (WeChat Pay puts the mch_id there); absent without a certificate. */
  subjectCN?: string;
}

export interface EmuReply {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** WAITING = placed and not paid yet (NOTPAY). */
export type EmulatedStatus = 'WAITING' | 'PAID' | 'FAILED' | 'CLOSED';

/** What the payer does in their wallet. `cancel` leaves the trade unpaid; `fail` marks it PAYERROR. */
export type PayerOutcome = 'pay' | 'cancel' | 'fail';

export interface Delivery {
  attempt: number;
  at: number;
  /** HTTP status our notify handler answered; absent when the request itself failed. */
  statusCode?: number;
  /** The first 200 characters of the handler's answer, or the transport error. */
  response: string;
  accepted: boolean;
  /** When the next attempt is due (absent once accepted or when the schedule is exhausted). */
  nextAttemptAt?: number;
  /** Which notification this attempt carried, when a record gets several (a refund's REFUND.ABNORMAL, then REFUND.SUCCESS). */
  event?: string;
}

/** Where the platform sends a notification and records its attempts: a payment, or a refund. */
export interface NotificationTarget {
  notifyUrl: string;
  deliveries: Delivery[];
}

/** A refund's state at the platform, in v3's words (v2 says REFUNDCLOSE for CLOSED and CHANGE for ABNORMAL). */
export type EmulatedRefundStatus = 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

/** How the sandbox settles a refund that is PROCESSING (or ABNORMAL): the bank's side, which no API exposes. */
export type RefundOutcome = 'succeed' | 'abnormal' | 'close';

export interface EmulatedRefund {
  provider: ProviderName;
  /** The merchant's refund number (PAYJS has none: its refunds are named by the PAYJS order id). */
  outRefundNo: string;
  /** The platform's refund id. */
  refundId: string;
  /** The EmulatedPayment refunded. */
  paymentId: string;
  outTradeNo: string;
  transactionId: string;
  amountFen: number;
  /** The trade's total as the refund request stated it (checked equal to the payment's). */
  totalFen: number;
  reason?: string;
  status: EmulatedRefundStatus;
  createdAt: number;
  /** When it became SUCCESS / CLOSED / ABNORMAL last. */
  settledAt?: number;
  /** Where its notifications go; '' = none (the request named no notify_url). */
  notifyUrl: string;
  deliveries: Delivery[];
}

export interface EmulatedPayment {
  /** Unique across emulators: the prepay_id (JSAPI), the code_url token (NATIVE) or the PAYJS order id. */
  id: string;
  provider: ProviderName;
  tradeType: 'JSAPI' | 'NATIVE' | 'PAYJS';
  outTradeNo: string;
  mchid: string;
  appid?: string;
  amountFen: number;
  description: string;
  status: EmulatedStatus;
  /** The payer's last action in the wallet, if any (a cancel leaves status WAITING). */
  lastOutcome?: PayerOutcome;
  createdAt: number;
  expiresAt?: number;
  notifyUrl: string;
  openid?: string;
  prepayId?: string;
  codeUrl?: string;
  transactionId?: string;
  paidAt?: number;
  deliveries: Delivery[];
}

export interface Emulator {
  readonly provider: ProviderName;
  /** Answers a request to the provider's API, or undefined when the path is not this emulator's. */
  handle(req: EmuRequest): Promise<EmuReply | undefined>;
  list(): EmulatedPayment[];
  /** The payment with this id, by its key (no scan of the payments); undefined when this emulator has none. */
  findPayment(id: string): EmulatedPayment | undefined;
  /** The payer acts on a waiting payment; `pay` sends the signed notification. */
  settle(id: string, outcome: PayerOutcome): Promise<EmulatedPayment>;
  listRefunds(): EmulatedRefund[];
  /**
   * The bank's side of a refund: PROCESSING or ABNORMAL → the outcome, then the refund notification.
   * Unknown refunds get EmulatorRefusal(404), final ones EmulatorRefusal(409).
   */
  settleRefund(outRefundNo: string, outcome: RefundOutcome): Promise<EmulatedRefund>;
}

/** Raised for payer-side actions that the platform would refuse (unknown id, bad paySign, already paid). */
export class EmulatorRefusal extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'EmulatorRefusal';
  }
}

export function jsonReply(statusCode: number, body: unknown, headers: Record<string, string> = {}): EmuReply {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: body === undefined ? '' : JSON.stringify(body) };
}

/** The payer's WeChat client, as far as the emulator plays it. */
export interface WxPayEmulator extends Emulator {
  /**
   * The JSAPI payment of this prepay_id (what `wx.requestPayment` pays), by key; undefined when none.
   * A Native order's prepay_id (v2 issues one) is not looked up: the client pays Native orders by code_url.
   */
  findByPrepayId(prepayId: string): EmulatedPayment | undefined;
  /** The Native payment of this code_url, by key; undefined when none. */
  findByCodeUrl(codeUrl: string): EmulatedPayment | undefined;
  /**
   * What `wx.requestPayment` does: checks paySign like the client does (refusing a bad one with
   * EmulatorRefusal), then applies the payer's outcome. Unknown prepay ids get EmulatorRefusal(404).
   */
  requestPayment(
    params: { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string },
    outcome: PayerOutcome,
  ): Promise<EmulatedPayment>;
  /** A phone scanning the Native code_url. Unknown code_urls get EmulatorRefusal(404). */
  scan(codeUrl: string, outcome: PayerOutcome): Promise<EmulatedPayment>;
}
