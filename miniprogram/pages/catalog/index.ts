import { ComponentWithStore } from 'mobx-miniprogram-bindings';
import type { Product } from '../../../typings/checkout';
import { call, errorMessage } from '../../services/api';
import { cart } from '../../stores/cart';
import { formatFen } from '../../utils/money';

interface ProductView {
  skuId: string;
  name: string;
  description: string;
  image: string;
  priceFen: number;
  priceText: string;
  stock: number;
}

function toView(p: Product): ProductView {
  return {
    skuId: p.skuId,
    name: p.name,
    description: p.description ?? '',
    image: p.image ?? '',
    priceFen: p.priceFen,
    priceText: formatFen(p.priceFen),
    stock: p.stock,
  };
}

ComponentWithStore({
  data: {
    status: 'loading' as 'loading' | 'ready' | 'empty' | 'error',
    products: [] as ProductView[],
    errorMessage: '',
  },
  storeBindings: { store: cart, fields: { cartCount: 'count' }, actions: {} },
  methods: {
    onLoad() {
      void this.load();
    },

    async load() {
      this.setData({ status: 'loading', errorMessage: '' });
      try {
        const { products } = await call<'listProducts'>({ action: 'listProducts' });
        this.setData({ status: products.length ? 'ready' : 'empty', products: products.map(toView) });
      } catch (err) {
        this.setData({ status: 'error', errorMessage: errorMessage(err) });
      }
    },

    onRetry() {
      void this.load();
    },

    onAdd(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { sku: string }>) {
      const view = this.data.products.find((p) => p.skuId === e.currentTarget.dataset.sku);
      if (!view) return;
      const added = cart.add({ skuId: view.skuId, name: view.name, priceFen: view.priceFen, stock: view.stock });
      wx.showToast({ title: added ? '已加入购物车' : '库存不足', icon: added ? 'success' : 'none' });
    },

    goCart() {
      wx.navigateTo({ url: '/pages/cart/index' });
    },

    goOrders() {
      wx.navigateTo({ url: '/pages/orders/index' });
    },
  },
});
