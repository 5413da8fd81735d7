import type { CloseReason, Fulfilment, FulfilmentType, Order, OrderItem, OrderStatus, PayMethod, Refund, RefundRequest } from '../../../typings/checkout';
import type { PaymentAnomalyView, ReconcileCause } from '../../../typings/merchant';
import type { PaymentAttempt } from '../payment/provider';
import { truncateUtf8 } from '../text';

export type { PaymentAttempt, ProviderName } from '../payment/provider';

/** How an order is stored in the `orders` collection. `toOrder` decides what its owner gets to see. */

export const ORDERS = 'orders';

/** A refund as stored on its order: the contract's Refund plus what only the server needs. */
export interface RefundDoc extends Refund {
  /** The merchant's idempotency key (automatic and approved-request refunds use fixed ones). */
  requestId?: string;
  /** The provider answered the application; until then every retry sends it again, unchanged. */
  accepted?: boolean;
  /** The provider's own refund id. */
  providerRefundId?: string;
  /** Someone is sending the application until then (a lease: one sender at a time). */
  applyingUntil?: number;
  updatedAt: number;
}

export interface OrderDoc {
  _id: string;
  /** The owner. Set explicitly: server-side writes get no automatic _openid. */
  _openid: string;
  outTradeNo: string;
  status: OrderStatus;
  amountFen: number;
  items: OrderItem[];
  createdAt: number;
  expiresAt: number;
  requestId?: string;
  payMethod?: PayMethod;
  payment?: PaymentAttempt;
  /** Active queries are allowed from this time on (rate limit shared by all callers). */
  nextQueryAt?: number;
  queryCount?: number;
  /**
   * The provider's own id of the trade, for providers asked by it: reported by the client (a hint, used
   * only to ask the provider) or from a verified report. Read it with providerOrderIdOf: the field keeps
   * the name it got with PAYJS, the first provider that needs one, so stored orders stay readable.
   */
  payjsOrderId?: string;
  paidAt?: number;
  transactionId?: string;
  paidVia?: 'notify' | 'query';
  closedAt?: number;
  closeReason?: CloseReason;
  /** false while PENDING; true once closed (the stock went back in the same transaction); 'pending' only on orders closed by earlier versions. */
  stockReleased?: boolean | 'pending';
  /** The provider reports a payment for an order we had closed: money to refund by hand. */
  paidAfterClose?: { at: number; transactionId?: string; amountFen?: number };
  /**
   * Verified provider reports that do not match the order (another amount, merchant or appid): refused,
   * and kept here for the merchant to look into (one entry per distinct report).
   */
  paymentAnomalies?: PaymentAnomaly[];
  /**
   * The provider's state of the trade could not be verified when the order ran out of time (query or
   * close failed): the order stays PENDING, is not payable, and the timer run tries again.
   */
  needsReconciliation?: { since: number; attempts: number; lastError: string; cause: ReconcileCause; providerCode?: string };
  refunds?: RefundDoc[];
  /** The sum of the SUCCESS refunds. */
  refundedFen?: number;
  /** Bumped by every change of `refunds`: each one is a compare-and-set on it (see refunds-store.ts). */
  refundsRev?: number;
  /** Active queries of open refunds are allowed from this time on (shared by all callers). */
  refundQueryAt?: number;
  refundQueryCount?: number;
  refundRequest?: RefundRequest;
  /** Each line's fulfilment type, from the catalog when the order was placed. */
  fulfilmentOf?: Record<string, FulfilmentType>;
  /** Set with PAID. */
  fulfilment?: Fulfilment;
  /** The outbox of the fulfilment hooks, set with PAID (orders/fulfil.ts). */
  fulfilmentTask?: FulfilmentTask;
  /** Shipping uploads recorded, and the claim of the one in progress (orders/ship.ts). */
  shipState?: { count: number; lockedUntil: number };
}

/** pending → done | failed. Claimed attempt by attempt with a conditional update on `attempts`. */
export interface FulfilmentTask {
  state: 'pending' | 'done' | 'failed';
  types: FulfilmentType[];
  /** Types whose hook has completed: a later attempt runs only the others. */
  done: FulfilmentType[];
  attempts: number;
  /** The next attempt may start from then (also the lease of an attempt in progress). */
  nextAttemptAt: number;
  lastError?: string;
}

/** What anyone outside the server sees of a refund. */
export function toRefund(r: RefundDoc): Refund {
  const out: Refund = { refundId: r.refundId, outRefundNo: r.outRefundNo, amountFen: r.amountFen, status: r.status, requestedBy: r.requestedBy, createdAt: r.createdAt };
  if (r.reason !== undefined) out.reason = r.reason;
  if (r.succeededAt !== undefined) out.succeededAt = r.succeededAt;
  if (r.failure !== undefined) out.failure = r.failure;
  return out;
}

/** Stored as staff see it: every field is what a verified report said. */
export type PaymentAnomaly = PaymentAnomalyView;

export function toOrder(d: OrderDoc): Order {
  const o: Order = {
    orderId: d._id,
    outTradeNo: d.outTradeNo,
    status: d.status,
    amountFen: d.amountFen,
    items: d.items,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
  };
  if (d.payMethod) o.payMethod = d.payMethod;
  if (d.paidAt !== undefined) o.paidAt = d.paidAt;
  if (d.closedAt !== undefined) o.closedAt = d.closedAt;
  if (d.closeReason) o.closeReason = d.closeReason;
  if (d.refunds) {
    o.refunds = d.refunds.map(toRefund);
    o.refundedFen = d.refundedFen ?? 0;
  }
  if (d.refundRequest) o.refundRequest = d.refundRequest;
  if (d.fulfilment) o.fulfilment = d.fulfilment;
  if (d.fulfilment && d.transactionId) o.transactionId = d.transactionId;
  return o;
}

/** The field that holds the provider's own id of the trade (see OrderDoc.payjsOrderId). */
export const PROVIDER_ORDER_ID = 'payjsOrderId' satisfies keyof OrderDoc;

export const providerOrderIdOf = (d: Pick<OrderDoc, typeof PROVIDER_ORDER_ID>): string | undefined => d[PROVIDER_ORDER_ID];

/** What the payer sees at the provider: the first item's name, plus a count when there are more. */
export function describeOrder(order: Pick<OrderDoc, 'items'>): string {
  const [first, ...rest] = order.items;
  const count = order.items.reduce((n, i) => n + i.quantity, 0);
  const name = rest.length === 0 && first.quantity === 1 ? first.name : `${first.name} 等${count}件`;
  // v3 allows 127 bytes and v2 128; PAYJS cuts its own (32).
  return truncateUtf8(name, 127);
}
