/** Order fields as the pages render them. */
import type { Order } from '../../typings/checkout';
import { formatFen } from './money';

export function orderStatusText(order: Pick<Order, 'status' | 'closeReason'>): string {
  switch (order.status) {
    case 'PENDING':
      return '待支付';
    case 'PAID':
      return '已支付';
    case 'REFUNDED':
      return '已退款';
    case 'CLOSED':
      return order.closeReason === 'EXPIRED' ? '已过期' : '已取消';
  }
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Local time "2024-05-01 13:05". */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export interface OrderListItem {
  orderId: string;
  title: string;
  amountText: string;
  statusText: string;
  status: Order['status'];
  createdText: string;
}

export function toListItem(order: Order): OrderListItem {
  const first = order.items[0];
  const more = order.items.length > 1 ? ` 等 ${order.items.length} 件` : '';
  return {
    orderId: order.orderId,
    title: first ? `${first.name}${more}` : order.outTradeNo,
    amountText: formatFen(order.amountFen),
    statusText: orderStatusText(order),
    status: order.status,
    createdText: formatTime(order.createdAt),
  };
}
