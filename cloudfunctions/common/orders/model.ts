import type { CloseReason, Fulfilment, FulfilmentType, Order, OrderItem, OrderStatus, PayMethod, Refund, RefundRequest, RequestPaymentParams } from '../../../typings/checkout';

/** How an order is stored in the `orders` collection. `toOrder` decides what its owner gets to see. */

export const ORDERS = 'orders';

export type ProviderName = 'wxpay-v3' | 'wxpay-v2' | 'payjs';

/** The provider-side trade of an order, kept so a re-pay reuses it. */
export interface PaymentAttempt {
  provider: ProviderName;
  tradeType: 'JSAPI' | 'NATIVE' | 'PAYJS';
  prepayId?: string;
  codeUrl?: string;
  signType?: RequestPaymentParams['signType'];
  placedAt: number;
  /** prepay_id / code_url are valid for 2 hours at WeChat Pay. */
  reusableUntil?: number;
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
  /** Learned from a PAYJS notification or reported by the client (a hint, used only to ask PAYJS). */
  payjsOrderId?: string;
  paidAt?: number;
  transactionId?: string;
  paidVia?: 'notify' | 'query';
  closedAt?: number;
  closeReason?: CloseReason;
  /** false while PENDING; 'pending' from closing until the stock is back; then true. */
  stockReleased?: boolean | 'pending';
  /** The provider reports a payment for an order we had closed: money to refund by hand. */
  paidAfterClose?: { at: number; transactionId?: string; amountFen?: number };
  refunds?: Refund[];
  /** The sum of the SUCCESS refunds. */
  refundedFen?: number;
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
  if (d.fulfilment) o.fulfilment = d.fulfilment;
  return o;
}
