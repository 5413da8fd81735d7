import { ComponentWithStore } from 'mobx-miniprogram-bindings';
import type { PayMethod } from '../../../typings/checkout';
import { config } from '../../config';
import { call } from '../../services/api';
import { cart, type CartItem } from '../../stores/cart';
import { checkout } from '../../stores/checkout';
import { formatFen } from '../../utils/money';

interface LineView {
  skuId: string;
  name: string;
  priceText: string;
  stock: number;
  quantity: number;
  subtotalText: string;
}

function toLine(item: CartItem): LineView {
  return {
    skuId: item.skuId,
    name: item.name,
    priceText: formatFen(item.priceFen),
    stock: item.stock,
    quantity: item.quantity,
    subtotalText: formatFen(item.priceFen * item.quantity),
  };
}

const LABELS: Record<PayMethod, string> = {
  wechat: '微信支付',
  native: '扫码支付（二维码）',
  payjs: 'PAYJS（测试）',
};
const METHODS = config.payMethods.map((value) => ({ value, label: LABELS[value] }));

type IndexEvent = WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { index: number }>;

ComponentWithStore({
  data: {
    lines: [] as LineView[],
    totalText: '0.00',
    method: METHODS[0].value,
    methods: METHODS,
  },
  storeBindings: { store: checkout, fields: { busy: 'busy' }, actions: {} },
  methods: {
    onShow() {
      this.renderAll();
      void this.syncPrices();
    },

    /** Saved prices and stock may be days old: show today's (the server prices the order anyway). */
    async syncPrices() {
      if (cart.items.length === 0) return;
      try {
        const { products } = await call<'listProducts'>({ action: 'listProducts' });
        if (cart.syncWithCatalog(products)) this.renderAll();
      } catch {
        // Offline: the saved figures stay on screen; createOrder reports real problems.
      }
    },

    /** The full list: only when lines appear or disappear. */
    renderAll() {
      this.setData({ lines: cart.items.map(toLine), totalText: cart.totalText });
    },

    onInc(e: IndexEvent) {
      this.changeQuantity(Number(e.currentTarget.dataset.index), 1);
    },

    onDec(e: IndexEvent) {
      this.changeQuantity(Number(e.currentTarget.dataset.index), -1);
    },

    /** One small path update for the changed line and the total, never the whole cart. */
    changeQuantity(index: number, delta: number) {
      const line = this.data.lines[index];
      if (!line) return;
      const quantity = line.quantity + delta;
      if (!cart.setQuantity(line.skuId, quantity)) return;
      const item = cart.items[cart.indexOf(line.skuId)];
      this.setData({
        [`lines[${index}].quantity`]: quantity,
        [`lines[${index}].subtotalText`]: formatFen(item.priceFen * quantity),
        totalText: cart.totalText,
      });
    },

    onRemove(e: IndexEvent) {
      const line = this.data.lines[Number(e.currentTarget.dataset.index)];
      if (!line) return;
      cart.remove(line.skuId);
      this.renderAll();
    },

    onMethodChange(e: WechatMiniprogram.RadioGroupChange) {
      this.setData({ method: e.detail.value as PayMethod });
    },

    async onSubmit() {
      // The store also joins concurrent submits; this keeps a double tap from navigating twice.
      if (checkout.busy || cart.items.length === 0) return;
      await checkout.submit(cart.orderLines, this.data.method);
      const order = checkout.order;
      if (!order) {
        wx.showToast({ title: checkout.errorMessage || '下单失败', icon: 'none' });
        return;
      }
      // The order holds the items now; paying again happens from the order page.
      cart.clear();
      this.renderAll();
      const url = checkout.method === 'native' && checkout.codeUrl ? '/pay/scan/index' : `/pay/result/index?orderId=${order.orderId}`;
      wx.navigateTo({ url });
    },
  },
});
