import { AppError } from '../errors';
import { getOrderBodyOf } from '../shipping/upload';
import type { OrderContext } from './context';
import type { OrderDoc } from './model';

/**
 * The payer confirms receipt. What the mini-program reports (the 确认收货 component's return) is a hint:
 * for an uploaded shipping WeChat is asked (getOrder order_state ≥ 3) before the order becomes RECEIVED,
 * by one conditional update, so it happens once. A shipping WeChat never had (SHIPPING_INFO_UPLOAD=off,
 * PAYJS) has no one else to ask: the payer's word is recorded.
 */
export async function confirmReceipt(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  if (order.fulfilment?.state === 'RECEIVED') return order;
  if (order.status === 'REFUNDED' || order.fulfilment?.endedAt !== undefined) throw new AppError('NOT_SHIPPABLE', 'This order was refunded: there is nothing to receive.');
  const shipping = order.fulfilment?.shipping;
  if (order.status !== 'PAID' || order.fulfilment?.state !== 'SHIPPED' || !shipping) throw new AppError('NOT_SHIPPED', 'This order has not been shipped yet.');
  if (shipping.upload === 'UPLOADED') {
    if (!ctx.shipping || !ctx.config.wxpay) throw new AppError('CONFIG_ERROR', 'Configuration error: this function has no cloud.openapi or WeChat Pay merchant to ask WeChat with.');
    const state = await ctx.shipping.orderState(getOrderBodyOf({ outTradeNo: order.outTradeNo, transactionId: order.transactionId, openid: order._openid }, ctx.config.wxpay.mchid));
    if (state === 5) throw new AppError('NOT_SHIPPABLE', 'WeChat reports this payment refunded.');
    if (state < 3) throw new AppError('RECEIPT_NOT_CONFIRMED', 'WeChat has no confirmation of receipt for this order yet: confirm it in WeChat\'s receipt page first.');
  }
  const _ = ctx.db.command;
  const now = ctx.now();
  await ctx.repo.updateIf(
    order._id,
    'PAID',
    { 'fulfilment.state': 'RECEIVED', 'fulfilment.receivedAt': now } as unknown as Partial<OrderDoc>,
    { 'fulfilment.state': 'SHIPPED', 'fulfilment.receivedAt': _.exists(false) },
  );
  return (await ctx.repo.get(order._id)) ?? order;
}
