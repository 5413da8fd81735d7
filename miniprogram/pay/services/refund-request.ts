/** The payer's side of refunds: asking the merchant to refund a paid order (the order-refunds component). */
import type { Order } from '../../../typings/checkout';
import { ApiError, call } from '../../services/api';

/**
 * Records the payer's request and answers the order with it. A request already open (a retry whose
 * first answer was lost, or another device) is no failure: the order is read again to show it.
 */
export async function requestRefund(orderId: string, reason: string): Promise<Order> {
  try {
    const { order } = await call<'requestRefund'>({ action: 'requestRefund', orderId, reason: reason.trim() });
    return order;
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'REFUND_REQUEST_OPEN') throw err;
    const { order } = await call<'queryOrder'>({ action: 'queryOrder', orderId });
    return order;
  }
}
