/**
 * The cart: what the user intends to buy, persisted across launches. Prices here are for display
 * only; the server prices the order from its own catalog.
 */
import { makeAutoObservable } from 'mobx-miniprogram';
import type { CartLine, Product } from '../../typings/checkout';
import { formatFen } from '../utils/money';

export interface CartItem {
  skuId: string;
  name: string;
  priceFen: number;
  stock: number;
  quantity: number;
}

export const CART_STORAGE_KEY = 'checkout.cart.v1';

function isCartItem(value: unknown): value is CartItem {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.skuId === 'string' &&
    typeof v.name === 'string' &&
    Number.isSafeInteger(v.priceFen) && (v.priceFen as number) >= 0 &&
    Number.isSafeInteger(v.stock) &&
    Number.isSafeInteger(v.quantity) && (v.quantity as number) >= 1
  );
}

export class CartStore {
  items: CartItem[] = [];

  constructor() {
    makeAutoObservable(this);
  }

  get count(): number {
    return this.items.reduce((n, item) => n + item.quantity, 0);
  }

  get totalFen(): number {
    return this.items.reduce((sum, item) => sum + item.priceFen * item.quantity, 0);
  }

  get totalText(): string {
    return formatFen(this.totalFen);
  }

  /** What createOrder takes: identities and quantities, never prices. */
  get orderLines(): CartLine[] {
    return this.items.map((item) => ({ skuId: item.skuId, quantity: item.quantity }));
  }

  indexOf(skuId: string): number {
    return this.items.findIndex((item) => item.skuId === skuId);
  }

  /** Adds one unit; returns false (and changes nothing) when that would exceed the stock. */
  add(product: Product): boolean {
    const index = this.indexOf(product.skuId);
    if (index < 0) {
      if (product.stock < 1) return false;
      this.items.push({ skuId: product.skuId, name: product.name, priceFen: product.priceFen, stock: product.stock, quantity: 1 });
    } else {
      const item = this.items[index];
      item.name = product.name;
      item.priceFen = product.priceFen;
      item.stock = product.stock;
      if (item.quantity + 1 > product.stock) return false;
      item.quantity += 1;
    }
    this.persist();
    return true;
  }

  /** Sets a quantity within 1..stock; anything else is refused and changes nothing. */
  setQuantity(skuId: string, quantity: number): boolean {
    const item = this.items[this.indexOf(skuId)];
    if (!item || !Number.isSafeInteger(quantity) || quantity < 1 || quantity > item.stock) return false;
    if (item.quantity === quantity) return false;
    item.quantity = quantity;
    this.persist();
    return true;
  }

  remove(skuId: string): void {
    const index = this.indexOf(skuId);
    if (index < 0) return;
    this.items.splice(index, 1);
    this.persist();
  }

  clear(): void {
    this.items = [];
    this.persist();
  }

  /**
   * Brings saved lines up to date with the catalog (names, prices, stock): products no longer sold
   * are dropped, quantities cut to what is left. Returns whether anything changed.
   */
  syncWithCatalog(products: Product[]): boolean {
    const bySku = new Map(products.map((p) => [p.skuId, p]));
    const before = JSON.stringify(this.items);
    // filter + map, not flatMap: DevTools' ES5 output does not polyfill it on older base libraries.
    this.items = this.items
      .filter((item) => (bySku.get(item.skuId)?.stock ?? 0) >= 1)
      .map((item) => {
        const p = bySku.get(item.skuId)!;
        return { skuId: p.skuId, name: p.name, priceFen: p.priceFen, stock: p.stock, quantity: Math.min(item.quantity, p.stock) };
      });
    const changed = JSON.stringify(this.items) !== before;
    if (changed) this.persist();
    return changed;
  }

  /** Reads the saved cart (called on launch). Malformed entries are dropped, not trusted. */
  restore(): void {
    let saved: unknown;
    try {
      saved = wx.getStorageSync(CART_STORAGE_KEY);
    } catch {
      saved = null;
    }
    this.items = Array.isArray(saved) ? saved.filter(isCartItem).map((item) => ({ ...item, quantity: Math.min(item.quantity, Math.max(item.stock, 1)) })) : [];
  }

  private persist(): void {
    try {
      wx.setStorageSync(CART_STORAGE_KEY, this.items.map((item) => ({ ...item })));
    } catch (err) {
      // Storage full or unavailable: the cart still works for this session.
      console.warn('cart not saved', err);
    }
  }
}

export const cart = new CartStore();
