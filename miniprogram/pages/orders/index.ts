import { call, errorMessage } from '../../services/api';
import { toListItem, type OrderListItem } from '../../utils/order-view';

Component({
  data: {
    status: 'loading' as 'loading' | 'ready' | 'empty' | 'error',
    orders: [] as OrderListItem[],
    errorMessage: '',
  },
  methods: {
    onShow() {
      // Statuses change while away (paid, expired): refresh every time.
      void this.load();
    },

    async onPullDownRefresh() {
      await this.load();
      wx.stopPullDownRefresh();
    },

    async load() {
      if (this.data.orders.length === 0) this.setData({ status: 'loading' });
      try {
        const { orders } = await call<'listOrders'>({ action: 'listOrders' });
        this.setData({ status: orders.length ? 'ready' : 'empty', orders: orders.map(toListItem), errorMessage: '' });
      } catch (err) {
        this.setData({ status: 'error', errorMessage: errorMessage(err) });
      }
    },

    onRetry() {
      void this.load();
    },

    onOpen(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { id: string }>) {
      wx.navigateTo({ url: `/pay/result/index?orderId=${e.currentTarget.dataset.id}` });
    },
  },
});
