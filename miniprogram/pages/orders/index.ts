import { call, errorMessage } from '../../services/api';
import { staffRole } from '../../services/staff-role';
import { toListItem, type OrderListItem } from '../../utils/order-view';
import { refundTag } from '../../utils/refund-view';

Component({
  data: {
    status: 'loading' as 'loading' | 'ready' | 'empty' | 'error',
    orders: [] as Array<OrderListItem & { refundTag: string }>,
    errorMessage: '',
    isMerchant: false,
  },
  methods: {
    onShow() {
      // Statuses change while away (paid, expired): refresh every time.
      void this.load();
      // Staff see the entry to the merchant pages; the server checks every call there anyway.
      void staffRole.check().then((yes) => yes !== this.data.isMerchant && this.setData({ isMerchant: yes }));
    },

    async onPullDownRefresh() {
      await this.load();
      wx.stopPullDownRefresh();
    },

    async load() {
      if (this.data.orders.length === 0) this.setData({ status: 'loading' });
      try {
        const { orders } = await call<'listOrders'>({ action: 'listOrders' });
        this.setData({ status: orders.length ? 'ready' : 'empty', orders: orders.map((o) => ({ ...toListItem(o), refundTag: refundTag(o) })), errorMessage: '' });
      } catch (err) {
        this.setData({ status: 'error', errorMessage: errorMessage(err) });
      }
    },

    onRetry() {
      void this.load();
    },

    onOpenMerchant() {
      wx.navigateTo({ url: '/merchant/orders/index' });
    },

    onOpen(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { id: string }>) {
      wx.navigateTo({ url: `/pay/result/index?orderId=${e.currentTarget.dataset.id}` });
    },
  },
});
