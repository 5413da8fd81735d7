/** Pay result and order detail: live status while confirming, pay again, cancel, PAYJS return. */
import { ComponentWithStore } from 'mobx-miniprogram-bindings';
import { confirmingPageMethods } from '../confirming-page';
import { checkout } from '../stores/checkout';
import { receipt } from '../stores/receipt';
import type { Order } from '../../../typings/checkout';

ComponentWithStore({
  data: { orderId: '' },
  storeBindings: {
    store: checkout,
    fields: {
      phase: 'phase',
      // Only what the template renders, never the whole order (it is re-fetched on every poll).
      outTradeNo: 'outTradeNo',
      orderStatus: 'orderStatus',
      amountText: 'amountText',
      statusText: 'statusText',
      errorMessage: 'errorMessage',
      notice: 'notice',
      polling: 'polling',
      canPayAgain: 'canPayAgain',
      canCancel: 'canCancel',
      payjsReady: 'payjsReady',
      payjsJumped: 'payjsJumped',
      backWithoutPaying: 'backWithoutPaying',
      loadFailed: 'loadFailed',
      items: 'itemViews',
      refunds: 'refundsView',
      receipt: 'receiptView',
    },
    actions: {},
  },
  methods: {
    ...confirmingPageMethods,

    onLoad(query: Record<string, string | undefined>) {
      if (!query.orderId) return;
      this.setData({ orderId: query.orderId });
      void checkout.open(query.orderId);
    },

    onRetryLoad() {
      if (this.data.orderId) void checkout.open(this.data.orderId);
    },

    async onPayAgain() {
      await checkout.payAgain();
      if (checkout.method === 'native' && checkout.codeUrl) wx.navigateTo({ url: '/pay/scan/index' });
    },

    onJumpPayjs() {
      void checkout.jumpToPayjs();
    },

    async onCancel() {
      const res = await wx.showModal({ title: '取消订单', content: '确定取消这个订单吗？' });
      if (res.confirm) await checkout.cancelOrder();
    },

    onConfirmReceipt() {
      if (checkout.order) void receipt.start(checkout.order);
    },

    onRefundsChange(e: WechatMiniprogram.CustomEvent<{ order: Order }>) {
      checkout.showOrder(e.detail.order);
    },

    goOrders() {
      // Opened from the list: go back to it rather than stacking another list page.
      const pages = getCurrentPages();
      if (pages[pages.length - 2]?.route === 'pages/orders/index') wx.navigateBack();
      else wx.redirectTo({ url: '/pages/orders/index' });
    },
  },
});
