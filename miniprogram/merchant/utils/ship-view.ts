import type { Logistics } from '../../../typings/checkout';
import type { MerchantOrder } from '../../../typings/merchant';
import { fulfilmentText } from '../../utils/receipt-view';

/** What the ship-form component renders for staff: the fulfilment, the hooks' state, and whether to offer 发货. */
export interface ShipView {
  orderId: string;
  stateText: string;
  shippingText: string;
  /** The hooks gave up (or are retrying): shown with their last error. */
  taskText: string;
  canShip: boolean;
  /** 修改发货 (the one re-shipping) rather than 发货. */
  reship: boolean;
}

export const LOGISTICS: ReadonlyArray<{ value: Logistics; label: string }> = [
  { value: 'EXPRESS', label: '快递' },
  { value: 'LOCAL_DELIVERY', label: '同城配送' },
  { value: 'PICKUP', label: '到店自提' },
  { value: 'VIRTUAL', label: '虚拟发货' },
];

export function shipView(o: MerchantOrder | null): ShipView | null {
  const f = o?.fulfilment;
  if (!o || !f) return null;
  const s = f.shipping;
  const task = o.fulfilmentTask;
  const taskText =
    task?.state === 'FAILED' ? `自动履约失败（已尝试 ${task.attempts} 次）：${task.lastError ?? ''}` : task?.state === 'PENDING' && task.lastError ? `自动履约重试中：${task.lastError}` : '';
  return {
    orderId: o.orderId,
    stateText: fulfilmentText(f),
    shippingText: s ? [LOGISTICS.find((l) => l.value === s.logistics)?.label, s.expressCompany, s.trackingNo, s.reshipped ? '（已重新发货）' : ''].filter(Boolean).join(' ') : '',
    taskText,
    canShip: o.status === 'PAID' && f.state !== 'RECEIVED' && f.endedAt === undefined && !s?.reshipped,
    reship: f.state === 'SHIPPED',
  };
}
