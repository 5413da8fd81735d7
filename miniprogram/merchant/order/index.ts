/** Staff: one order, its refunds (refresh those not final), the payer's request (approve / reject), 发起退款. */
import { ComponentWithStore } from 'mobx-miniprogram-bindings';
import { merchant } from '../store';
import { formatFen } from '../../utils/money';
import { shipView } from '../utils/ship-view';

ComponentWithStore({
  data: { orderId: '', note: '', approveAmount: '', confirming: false },
  storeBindings: {
    store: merchant,
    fields: {
      detail: 'detail',
      refunds: 'refunds',
      detailState: 'detailState',
      detailError: 'detailError',
      actionError: 'actionError',
      resolving: 'resolving',
      refreshingRefundId: 'refreshingRefundId',
      ship: (store: typeof merchant) => shipView(store.order),
    },
    actions: {},
  },
  methods: {
    onLoad(query: Record<string, string | undefined>) {
      if (!query.orderId) return;
      this.setData({ orderId: query.orderId });
      void merchant.openOrder(query.orderId);
    },

    onShow() {
      // Back from the refund form, or from the list later: read it again (joins the load onLoad started).
      if (this.data.orderId) void merchant.openOrder(this.data.orderId);
    },

    onRetry() {
      if (this.data.orderId) void merchant.openOrder(this.data.orderId);
    },

    onRefreshRefund(e: WechatMiniprogram.CustomEvent<{ refundId: string }>) {
      void merchant.refreshRefund(e.detail.refundId);
    },

    onNoteInput(e: WechatMiniprogram.Input) {
      this.setData({ note: e.detail.value });
    },

    onApproveAmountInput(e: WechatMiniprogram.Input) {
      this.setData({ approveAmount: e.detail.value });
    },

    async onApprove() {
      if (merchant.resolving || this.data.confirming) return;
      const plan = merchant.planResolve(true, this.data.note, this.data.approveAmount);
      if (!plan) return;
      // A second tap before the dialog is up asks nothing more (setData updates this.data at once).
      this.setData({ confirming: true });
      const res = await wx.showModal({ title: '同意退款', content: `将原路退款 ¥${formatFen(plan.amountFen)} 给付款人，确定吗？` });
      this.setData({ confirming: false });
      if (!res.confirm) return;
      if (await merchant.resolveRequest(true, this.data.note, this.data.approveAmount)) this.setData({ note: '', approveAmount: '' });
    },

    async onReject() {
      if (await merchant.resolveRequest(false, this.data.note)) this.setData({ note: '' });
    },

    onShipped() {
      // The answer is the order as shipped; read it again like after every staff action.
      if (this.data.orderId) void merchant.openOrder(this.data.orderId);
    },

    onRefund() {
      wx.navigateTo({ url: `/merchant/refund/index?orderId=${this.data.orderId}` });
    },
  },
});
