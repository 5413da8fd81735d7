/** Staff: every payer's orders, filtered (open refund requests first), paged by the server's cursor. */
import { ComponentWithStore } from 'mobx-miniprogram-bindings';
import { FILTERS, merchant, type FilterKey } from '../store';

ComponentWithStore({
  data: { filters: FILTERS.map((f) => ({ key: f.key, label: f.label })) },
  storeBindings: {
    store: merchant,
    fields: {
      filter: 'filter',
      items: 'listItems',
      listState: 'listState',
      listError: 'listError',
      hasMore: 'hasMore',
      loadingMore: 'loadingMore',
    },
    actions: {},
  },
  methods: {
    onLoad() {
      void merchant.reload();
    },

    async onPullDownRefresh() {
      await merchant.reload();
      wx.stopPullDownRefresh();
    },

    onReachBottom() {
      void merchant.loadMore();
    },

    onFilter(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { key: FilterKey }>) {
      void merchant.setFilter(e.currentTarget.dataset.key);
    },

    onRetry() {
      void merchant.reload();
    },

    onMore() {
      void merchant.loadMore();
    },

    onOpen(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { id: string }>) {
      wx.navigateTo({ url: `/merchant/order/index?orderId=${e.currentTarget.dataset.id}` });
    },
  },
});
