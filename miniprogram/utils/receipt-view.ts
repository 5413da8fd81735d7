import type { Fulfilment, Logistics, Order } from '../../typings/checkout';
import { formatTime } from './order-view';

/** What the order-receipt component renders of an order's fulfilment. */
export interface ReceiptView {
  orderId: string;
  state: Fulfilment['state'] | '';
  stateText: string;
  shippingText: string;
  timeText: string;
  canConfirm: boolean;
}

const LOGISTICS_TEXT: Record<Logistics, string> = { EXPRESS: '快递', LOCAL_DELIVERY: '同城配送', VIRTUAL: '虚拟发货', PICKUP: '到店自提' };

export function fulfilmentText(f: Fulfilment | undefined): string {
  if (!f) return '';
  if (f.endedAt !== undefined) return '已退款，无需发货';
  return f.state === 'UNSHIPPED' ? '待发货' : f.state === 'SHIPPED' ? '已发货' : '已收货';
}

export function receiptView(order: Order | null): ReceiptView | null {
  const f = order?.fulfilment;
  if (!order || !f) return null;
  const s = f.shipping;
  const shippingText = s ? [LOGISTICS_TEXT[s.logistics], s.expressCompany, s.trackingNo].filter(Boolean).join(' ') : '';
  const at = f.state === 'RECEIVED' ? f.receivedAt : f.shippedAt;
  return {
    orderId: order.orderId,
    state: f.state,
    stateText: fulfilmentText(f),
    shippingText,
    timeText: at !== undefined ? formatTime(at) : '',
    canConfirm: order.status === 'PAID' && f.state === 'SHIPPED' && f.endedAt === undefined,
  };
}
