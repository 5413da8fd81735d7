/**
 * An order's refunds and its payer's refund request, from a RefundsView (utils/refund-view.ts).
 * For the payer it also offers 申请退款 with a reason and emits `change` with the updated order; for
 * staff (`staff`) it offers 刷新 on refunds not yet final and emits `refresh` with the refundId.
 */
import type { Order } from '../../../../typings/checkout';
import { errorMessage } from '../../../services/api';
import { MAX_REFUND_REASON, textError } from '../../../services/refunds';
import { requestRefund } from '../../services/refund-request';
import type { RefundsView } from '../../../utils/refund-view';

Component({
  // app.wxss's .card / .row / .muted apply inside the component too.
  options: { styleIsolation: 'apply-shared' },
  properties: {
    view: { type: Object, value: {} },
    staff: { type: Boolean, value: false },
    /** The refundId being refreshed (staff), for its spinner. */
    refreshing: { type: String, value: '' },
  },
  data: { formOpen: false, reason: '', submitting: false, error: '', maxReason: MAX_REFUND_REASON },
  methods: {
    onOpenForm() {
      this.setData({ formOpen: true, error: '' });
    },

    onCloseForm() {
      this.setData({ formOpen: false, error: '' });
    },

    onReasonInput(e: WechatMiniprogram.Input) {
      this.setData({ reason: e.detail.value });
    },

    async onSubmit() {
      const view = this.data.view as unknown as RefundsView | null;
      if (this.data.submitting || !view?.orderId) return;
      const problem = textError(this.data.reason);
      if (problem) return this.setData({ error: problem });
      // setData is synchronous on this.data: a second tap sees `submitting` and stops above.
      this.setData({ submitting: true, error: '' });
      let order: Order;
      try {
        order = await requestRefund(view.orderId, this.data.reason);
      } catch (err) {
        return this.setData({ submitting: false, error: errorMessage(err) });
      }
      this.setData({ submitting: false, formOpen: false, reason: '' });
      this.triggerEvent('change', { order });
    },

    onRefresh(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { id: string }>) {
      this.triggerEvent('refresh', { refundId: e.currentTarget.dataset.id });
    },
  },
});
