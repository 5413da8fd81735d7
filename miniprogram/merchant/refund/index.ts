/**
 * Staff: refund part or all of an order. The amount is typed in yuan (default: what is left) and
 * parsed into fen without floats; the store gives each submission one requestId, reused on retry.
 */
import { ComponentWithStore } from 'mobx-miniprogram-bindings';
import { merchant } from '../store';
import { formatFen } from '../../utils/money';

ComponentWithStore({
  data: { orderId: '', confirming: false },
  storeBindings: {
    store: merchant,
    fields: {
      form: 'form',
      leftText: (store: typeof merchant) => store.detail?.leftText ?? '',
      outTradeNo: (store: typeof merchant) => store.detail?.outTradeNo ?? '',
      wholeOnly: (store: typeof merchant) => store.order?.payMethod === 'payjs',
      amountHint: (store: typeof merchant) => (store.form?.amountText ? store.formAmount.message : ''),
      refunding: 'refunding',
      refundError: 'refundError',
      detailError: 'detailError',
    },
    actions: {},
  },
  methods: {
    onLoad(query: Record<string, string | undefined>) {
      if (!query.orderId) return;
      this.setData({ orderId: query.orderId });
      void merchant.startRefundForm(query.orderId);
    },

    onAmountInput(e: WechatMiniprogram.Input) {
      merchant.editRefundForm({ amountText: e.detail.value });
    },

    onReasonInput(e: WechatMiniprogram.Input) {
      merchant.editRefundForm({ reason: e.detail.value });
    },

    async onSubmit() {
      if (merchant.refunding || this.data.confirming || !merchant.form || merchant.form.submitted) return;
      const { fen, message } = merchant.formAmount;
      // An invalid amount is reported by the store without asking to confirm it.
      if (!message) {
        // A second tap before the dialog is up asks nothing more (setData updates this.data at once).
        this.setData({ confirming: true });
        const res = await wx.showModal({ title: '确认退款', content: `将原路退款 ¥${formatFen(fen)} 给付款人，确定吗？` });
        this.setData({ confirming: false });
        if (!res.confirm) return;
      }
      if (!(await merchant.submitRefund())) return;
      wx.showToast({ title: '退款已提交', icon: 'success' });
      wx.navigateBack();
    },
  },
});
