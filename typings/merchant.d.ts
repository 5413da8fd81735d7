/**
 * The contract between the mini-program's merchant pages and the `merchant` cloud function, for the
 * merchant's staff (callers whose OPENID is listed in MERCHANT_OPENIDS; anyone else gets FORBIDDEN).
 * Same Result shape and error codes as `checkout`. Money is always an integer number of fen.
 */
import type { Fen, FulfilmentType, Logistics, Millis, Order, OrderStatus, Refund, Result } from './checkout';

/** What staff see of an order: what its payer sees, plus who paid and what needs a person. */
export interface MerchantOrder extends Order {
  /** The payer. */
  openid: string;
  /** The provider's transaction id, once paid. */
  transactionId?: string;
  /** A payment arrived after the order was closed (refunded automatically unless AUTO_REFUND_PAID_AFTER_CLOSE=false). */
  paidAfterClose?: { at: Millis; transactionId?: string; amountFen?: Fen };
  /** The fulfilment hooks' run (the outbox), once paid. FAILED needs a person: see lastError and the log. */
  fulfilmentTask?: FulfilmentTaskView;
  /**
   * PENDING and out of time, but the provider's state of the trade could not be verified (it may be
   * paid): not payable, not closed, retried by the timer run until the provider answers. 待核对.
   */
  needsReconciliation?: ReconciliationView;
  /** Verified provider reports that did not match this order (refused; one entry per distinct report). */
  paymentAnomalies?: PaymentAnomalyView[];
}

/**
 * Why the last check failed, for staff (the provider's own message is in the function log only):
 * UNREACHABLE = no answer in time (network, timeouts, 5xx); ANSWER_REJECTED = an answer we could not
 * verify or read (signature, certificate, format); PROVIDER_REFUSED = the provider refused the
 * request (its error code in providerCode); INTERNAL = our side failed.
 */
export type ReconcileCause = 'UNREACHABLE' | 'ANSWER_REJECTED' | 'PROVIDER_REFUSED' | 'INTERNAL';

export interface ReconciliationView {
  /** The first failed check. */
  since: Millis;
  /** Checks failed so far. */
  attempts: number;
  cause: ReconcileCause;
  /** PROVIDER_REFUSED: the provider's documented error code (e.g. SYSTEMERROR). */
  providerCode?: string;
}

/** What a verified report said, where it differs from the order (amountFen against the order's, mchid, appid). */
export interface PaymentAnomalyView {
  at: Millis;
  via: 'notify' | 'query';
  /** The provider's trade state as reported (SUCCESS: it says the payer paid). */
  state: string;
  amountFen?: Fen;
  mchid?: string;
  appid?: string;
  transactionId?: string;
}

export interface FulfilmentTaskView {
  state: 'PENDING' | 'DONE' | 'FAILED';
  /** The product types whose hooks run for this order, and those that have finished. */
  types: FulfilmentType[];
  done: FulfilmentType[];
  attempts: number;
  lastError?: string;
  /** PENDING: when the next attempt is due. */
  nextAttemptAt?: Millis;
}

/** Filters on refunds: REQUESTED = an open refund request from the payer; PROCESSING / ABNORMAL = a refund in that state. */
export type RefundFilter = 'REQUESTED' | 'PROCESSING' | 'ABNORMAL';

/** Filters on payments that need a person: RECONCILE = has needsReconciliation; ANOMALY = has paymentAnomalies. */
export type AttentionFilter = 'RECONCILE' | 'ANOMALY';

export interface WhoamiEvent {
  action: 'whoami';
}
export interface MerchantListOrdersEvent {
  action: 'listOrders';
  status?: OrderStatus;
  refund?: RefundFilter;
  /** Given with status or refund, an order must match all of them. */
  attention?: AttentionFilter;
  /** 1–100, default 20. */
  limit?: number;
  /** From a previous answer's nextCursor. */
  cursor?: string;
}
export interface GetOrderEvent {
  action: 'getOrder';
  orderId: string;
}
export interface RefundEvent {
  action: 'refund';
  orderId: string;
  amountFen: Fen;
  /** At most 80 characters; shown to the payer by WeChat Pay. */
  reason?: string;
  /** 1–64 characters chosen by the client: the same requestId returns the same refund and never refunds twice. */
  requestId: string;
}
export interface QueryRefundEvent {
  action: 'queryRefund';
  orderId: string;
  refundId: string;
}
export interface ResolveRefundRequestEvent {
  action: 'resolveRefundRequest';
  orderId: string;
  /** true: refund (amountFen, default what is left unrefunded); false: reject the request. */
  approve: boolean;
  amountFen?: Fen;
  /** At most 200 characters, shown to the payer. */
  note?: string;
}

/**
 * Records the shipping and uploads it to WeChat's 发货信息管理. Retrying the same shipping after a
 * timeout uploads nothing twice; a different one is the one re-shipping WeChat allows.
 */
export interface ShipEvent {
  action: 'ship';
  orderId: string;
  logistics: Logistics;
  /** EXPRESS: required, 1–128 characters. */
  trackingNo?: string;
  /** EXPRESS: required, the carrier code from WeChat's get_delivery_list (e.g. SF, ZTO). */
  expressCompany?: string;
  /** At most 120 characters; defaults to the order's items ("name*quantity"). */
  itemDesc?: string;
}

export type MerchantEvent =
  | WhoamiEvent
  | MerchantListOrdersEvent
  | GetOrderEvent
  | RefundEvent
  | QueryRefundEvent
  | ResolveRefundRequestEvent
  | ShipEvent;

export type MerchantAction = MerchantEvent['action'];

export interface MerchantData {
  whoami: { merchant: boolean };
  listOrders: { orders: MerchantOrder[]; nextCursor?: string };
  getOrder: { order: MerchantOrder };
  refund: { order: MerchantOrder; refund: Refund };
  queryRefund: { order: MerchantOrder; refund: Refund };
  /** `refund` when the request was approved. */
  resolveRefundRequest: { order: MerchantOrder; refund?: Refund };
  ship: { order: MerchantOrder };
}

export type MerchantEventOf<A extends MerchantAction> = Extract<MerchantEvent, { action: A }>;
export type MerchantResult<A extends MerchantAction> = Result<MerchantData[A]>;
