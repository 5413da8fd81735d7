import { AppError } from '../errors';
import type { OrderContext } from './context';
import type { OrderDoc } from './model';

/**
 * The payer asks for a refund of their own paid order. It only records the request: the merchant
 * approves (which issues the refund) or rejects it. One open request at a time, claimed by a
 * conditional update so two taps cannot open two.
 */
export async function requestRefund(ctx: OrderContext, order: OrderDoc, reason: string): Promise<OrderDoc> {
  if (order.status !== 'PAID') throw new AppError('ORDER_NOT_PAID', 'Only a paid order can be refunded.');
  if (order.refundRequest?.status === 'OPEN') throw new AppError('REFUND_REQUEST_OPEN', 'This order already has an open refund request.');
  const _ = ctx.db.command;
  const refundRequest = { reason, requestedAt: ctx.now(), status: 'OPEN' as const };
  const unchanged = order.refundRequest ? { 'refundRequest.requestedAt': order.refundRequest.requestedAt } : { refundRequest: _.exists(false) };
  if (!(await ctx.repo.updateIf(order._id, 'PAID', { refundRequest: _.set(refundRequest) } as unknown as Partial<OrderDoc>, unchanged))) {
    const current = (await ctx.repo.get(order._id)) ?? order;
    if (current.status !== 'PAID') throw new AppError('ORDER_NOT_PAID', 'Only a paid order can be refunded.');
    throw new AppError('REFUND_REQUEST_OPEN', 'This order already has an open refund request.');
  }
  return (await ctx.repo.get(order._id)) ?? { ...order, refundRequest };
}
