import type { PayMethod } from '../../../typings/checkout';
import { call, errorMessage } from '../../services/api';
import { cart, type CartItem } from '../../stores/cart';
import { formatFen } from '../../utils/money';
import type { CheckoutStore } from '../../pay/stores/checkout';

/**
 * The checkout flow lives in the pay subpackage with the pages that show it, so the main package does not
 * carry it: the cart reaches it with 分包异步化 (require.async, base library 2.11.2+). app.json's
 * preloadRule has usually fetched pay by the time of the tap; the call rejects if it cannot be downloaded.
 */
function loadCheckout(): Promise<typeof import('../../pay/stores/checkout')> {
  return require.async('../../pay/stores/checkout.js');
}

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

interface MethodView {
  value: PayMethod;
  label: string;
}

type IndexEvent = WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { index: number }>;

Component({
  data: {
    /** Submitting: the button spins, and a second tap stops (setData is synchronous on this.data). */
    busy: false,
    lines: [] as LineView[],
    totalText: '0.00',
    /** What this deployment takes, from listProducts: never offer a method the server cannot take. */
    method: '' as PayMethod | '',
    methods: [] as MethodView[],
    methodsNote: '正在获取支付方式…',
  },
  methods: {
    onShow() {
      this.renderAll();
      void this.syncPrices();
    },

    /**
     * Today's prices and stock (saved ones may be days old; the server prices the order anyway) and the
     * payment methods this deployment has configured. True when the methods are known.
     */
    async syncPrices(): Promise<boolean> {
      if (cart.items.length === 0) return false;
      try {
        const { products, payMethods } = await call<'listProducts'>({ action: 'listProducts' });
        if (cart.syncWithCatalog(products)) this.renderAll();
        this.setMethods(payMethods);
        return true;
      } catch (err) {
        // Offline: the saved figures stay on screen; submitting asks again before any order is made.
        if (this.data.methods.length === 0) this.setData({ methodsNote: `无法获取支付方式：${errorMessage(err)}` });
        return false;
      }
    },

    setMethods(payMethods: PayMethod[]) {
      const methods = payMethods.filter((m) => LABELS[m]).map((value) => ({ value, label: LABELS[value] }));
      const kept = methods.some((m) => m.value === this.data.method) ? this.data.method : (methods[0]?.value ?? '');
      this.setData({ methods, method: kept, methodsNote: methods.length ? '' : '商家尚未开通在线支付' });
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
      // The store also joins concurrent submits; `busy` keeps a double tap from navigating twice.
      if (this.data.busy || cart.items.length === 0) return;
      this.setData({ busy: true });
      try {
        await this.submit();
      } finally {
        this.setData({ busy: false });
      }
    },

    async submit() {
      // No order (and no emptied cart) before the server has said how this deployment can be paid.
      if (!this.data.method && !(await this.syncPrices())) {
        wx.showToast({ title: '暂时无法获取支付方式，请稍后重试', icon: 'none' });
        return;
      }
      const method = this.data.method;
      if (!method) {
        wx.showToast({ title: '商家尚未开通在线支付', icon: 'none' });
        return;
      }
      let checkout: CheckoutStore;
      try {
        ({ checkout } = await loadCheckout());
      } catch (err) {
        console.warn('[cart] the pay subpackage did not load:', err);
        wx.showToast({ title: '网络不佳，请稍后重试', icon: 'none' });
        return;
      }
      await checkout.submit(cart.orderLines, method);
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
