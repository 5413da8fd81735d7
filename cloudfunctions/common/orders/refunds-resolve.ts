import { AppError } from '../errors';
import { MAX_REFUND_REASON_BYTES } from '../payment/refund';
import { truncateUtf8 } from '../text';
import type { OrderContext } from './context';
import type { OrderDoc, RefundDoc } from './model';
import { issueRefund } from './refunds';
import { committedFen, paidFen } from './refunds-store';

/**
 * The merchant answers a payer's refund request. Approving issues the refund (by default what is left
 * unrefunded) and marks the request APPROVED in the same update; rejecting records the note. Each
 * request is answered once: both are conditional on it still being the same OPEN request.
 */

/** One refund per request, whatever the retries: its requestId comes from the request itself. */
const requestIdOf = (order: OrderDoc): string => `payer-request-${order.refundRequest?.requestedAt ?? 0}`;

export async function resolveRefundRequest(
  ctx: OrderContext,
  order: OrderDoc,
  decision: { approve: boolean; amountFen?: number; note?: string },
): Promise<{ order: OrderDoc; refund?: RefundDoc }> {
  const request = order.refundRequest;
  // A retried approval answers with the refund it issued.
  const issued = request && order.refunds?.find((r) => r.requestId === requestIdOf(order));
  if (decision.approve && issued && request.status === 'APPROVED') return { order, refund: issued };
  if (!request || request.status !== 'OPEN') throw new AppError('INVALID_ARGUMENT', 'This order has no open refund request.');
  const now = ctx.now();
  const resolved = { ...request, status: decision.approve ? ('APPROVED' as const) : ('REJECTED' as const), resolvedAt: now, ...(decision.note ? { note: decision.note } : {}) };
  const _ = ctx.db.command;
  const stillOpen = { 'refundRequest.status': 'OPEN', 'refundRequest.requestedAt': request.requestedAt };
  const answeredMeanwhile = () => new AppError('INVALID_ARGUMENT', 'This refund request was answered meanwhile.');
  const patch = { refundRequest: _.set(resolved) } as unknown as Partial<OrderDoc>;
  if (!decision.approve) {
    if (!(await ctx.repo.updateIf(order._id, order.status, patch, stillOpen))) throw answeredMeanwhile();
    return { order: (await ctx.repo.get(order._id)) ?? { ...order, refundRequest: resolved } };
  }
  const amountFen = decision.amountFen ?? paidFen(order) - committedFen(order);
  if (amountFen <= 0) throw new AppError('REFUND_EXCEEDS_PAID', 'Nothing is left to refund on this order.');
  const precondition = (o: OrderDoc) => {
    if (o.refundRequest?.status !== 'OPEN' || o.refundRequest.requestedAt !== request.requestedAt) throw answeredMeanwhile();
  };
  // The payer's words, as far as WeChat Pay takes them (80 bytes; the request allows 80 characters).
  const reason = truncateUtf8(request.reason, MAX_REFUND_REASON_BYTES);
  return issueRefund(ctx, order, { amountFen, requestId: requestIdOf(order), requestedBy: 'merchant', reason, patch, expect: stillOpen, precondition });
}
