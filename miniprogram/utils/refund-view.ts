/** An order's refunds and its payer's refund request as the pages render them. */
import type { Order, Refund, RefundRequest } from '../../typings/checkout';
import { formatFen } from './money';
import { formatTime } from './order-view';

const REFUND_STATUS_TEXT: Record<Refund['status'], string> = {
  PROCESSING: '退款中',
  SUCCESS: '已退款',
  ABNORMAL: '退款异常',
  CLOSED: '退款关闭',
};

const REQUEST_STATUS_TEXT: Record<RefundRequest['status'], string> = {
  OPEN: '退款申请审核中',
  APPROVED: '退款申请已同意',
  REJECTED: '退款申请已拒绝',
};

/** What can still be refunded: the paid amount less every refund not CLOSED (the server's own rule). */
export function refundableFen(order: Pick<Order, 'status' | 'amountFen' | 'refunds'>): number {
  if (order.status !== 'PAID') return 0;
  const committed = (order.refunds ?? []).reduce((sum, r) => (r.status === 'CLOSED' ? sum : sum + r.amountFen), 0);
  return Math.max(order.amountFen - committed, 0);
}

export interface RefundItemView {
  refundId: string;
  status: Refund['status'];
  /** "已退款 ¥9.80" */
  text: string;
  reason: string;
  timeText: string;
  auto: boolean;
  /** Why the provider refused it (then CLOSED): for staff, the payer sees 退款关闭 only. */
  failure: string;
  /** PROCESSING or ABNORMAL: not final, worth asking the provider again. */
  open: boolean;
}

export interface RefundRequestView {
  status: RefundRequest['status'];
  statusText: string;
  reason: string;
  note: string;
  timeText: string;
}

export interface RefundsView {
  orderId: string;
  /** "已退款 ¥9.80", empty when nothing has been refunded yet. */
  refundedText: string;
  refunds: RefundItemView[];
  request: RefundRequestView | null;
  /** The payer may ask for a refund: paid, something left, no request open. */
  canRequest: boolean;
}

export function refundItemView(r: Refund): RefundItemView {
  return {
    refundId: r.refundId,
    status: r.status,
    text: `${REFUND_STATUS_TEXT[r.status]} ¥${formatFen(r.amountFen)}`,
    reason: r.reason ?? '',
    timeText: formatTime(r.succeededAt ?? r.createdAt),
    auto: r.requestedBy === 'auto',
    failure: r.failure ?? '',
    open: r.status === 'PROCESSING' || r.status === 'ABNORMAL',
  };
}

export function refundsView(order: Order | null): RefundsView | null {
  if (!order) return null;
  const req = order.refundRequest;
  return {
    orderId: order.orderId,
    refundedText: order.refundedFen ? `已退款 ¥${formatFen(order.refundedFen)}` : '',
    // Newest first on screen (the order keeps them newest last).
    refunds: (order.refunds ?? []).map(refundItemView).reverse(),
    request: req
      ? { status: req.status, statusText: REQUEST_STATUS_TEXT[req.status], reason: req.reason, note: req.note ?? '', timeText: formatTime(req.requestedAt) }
      : null,
    canRequest: refundableFen(order) > 0 && req?.status !== 'OPEN',
  };
}

/**
 * One short tag for a list row: what needs attention first (an abnormal refund, an open request,
 * a refund in progress), else how much was refunded; empty when the order has no refund story.
 */
export function refundTag(order: Order): string {
  const refunds = order.refunds ?? [];
  if (refunds.some((r) => r.status === 'ABNORMAL')) return '退款异常';
  if (order.refundRequest?.status === 'OPEN') return '退款审核中';
  if (refunds.some((r) => r.status === 'PROCESSING')) return '退款中';
  if (order.refundedFen && order.status !== 'REFUNDED') return `已退款 ¥${formatFen(order.refundedFen)}`;
  return '';
}
