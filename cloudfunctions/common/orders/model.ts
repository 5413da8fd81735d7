import type { CloseReason, Order, OrderItem, OrderStatus, PayMethod, Refund, RefundRequest } from '../../../typings/checkout';
import type { PaymentAttempt } from '../payment/provider';
import { truncateUtf8 } from '../text';

export type { PaymentAttempt, ProviderName } from '../payment/provider';

/** How an order is stored in the `orders` collection. `toOrder` decides what its owner gets to see. */

export const ORDERS = 'orders';

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
  needsReconciliation?: { since: number; attempts: number; lastError: string };
  refunds?: Refund[];
  /** The sum of the SUCCESS refunds. */
  refundedFen?: number;
  refundRequest?: RefundRequest;
}

export interface PaymentAnomaly {
  at: number;
  via: 'notify' | 'query';
  state: string;
  amountFen?: number;
  mchid?: string;
  appid?: string;
  transactionId?: string;
}

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
    o.refunds = d.refunds;
    o.refundedFen = d.refundedFen ?? 0;
  }
  if (d.refundRequest) o.refundRequest = d.refundRequest;
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
