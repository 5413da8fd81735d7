/**
 * An order's fulfilment (待发货 / 已发货 with the shipping / 已收货) and, for its payer on a shipped order,
 * 确认收货. The tap emits `confirm` (the page starts pay/stores/receipt with the order); the flow's progress
 * is shown here, and the confirmed order is emitted as `change`.
 */
import { receipt, type ReceiptPhase } from '../../stores/receipt';
import type { ReceiptView } from '../../../utils/receipt-view';

Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    view: { type: Object, value: {} },
  },
  data: { phase: 'idle' as ReceiptPhase, message: '' },
  lifetimes: {
    attached() {
      const self = this as unknown as { unsubscribe?: () => void };
      self.unsubscribe = receipt.subscribe((state, order) => {
        const view = this.data.view as unknown as ReceiptView | null;
        if (!view || state.orderId !== view.orderId) return;
        this.setData({ phase: state.phase, message: state.message });
        if (order) this.triggerEvent('change', { order });
      });
    },
    detached() {
      (this as unknown as { unsubscribe?: () => void }).unsubscribe?.();
    },
  },
  methods: {
    onConfirm() {
      if (this.data.phase === 'opening' || this.data.phase === 'confirming') return;
      this.triggerEvent('confirm', {});
    },
  },
});
