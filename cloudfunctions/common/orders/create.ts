import type { CartLine, OrderItem } from '../../../typings/checkout';
import { loadProducts } from '../catalog';
import { getIfExists, TRANSACTION_ATTEMPTS } from '../db/transaction';
import type { DocData } from '../db/types';
import { AppError, invalidArgument } from '../errors';
import { takeStock } from '../stock';
import type { OrderContext } from './context';
import { newOrderId, newOutTradeNo } from './ids';
import { fulfilmentTypesOf } from './fulfil';
import { ORDERS, type OrderDoc } from './model';

/** The largest order total accepted (¥1,000,000): far below where integer fen could lose precision. */
export const MAX_ORDER_FEN = 100_000_000;

/** Prices lines from the catalog. Anything price-like the client sent never reaches this point. */
export function priceItems(lines: CartLine[], products: Map<string, { name: string; priceFen: number }>): { items: OrderItem[]; amountFen: number } {
  let amountFen = 0;
  const items = lines.map((l) => {
    const p = products.get(l.skuId);
    if (!p) throw new AppError('NOT_FOUND', `Product ${l.skuId} does not exist or is no longer sold.`);
    const subtotalFen = p.priceFen * l.quantity;
    amountFen += subtotalFen;
    return { skuId: l.skuId, name: p.name, priceFen: p.priceFen, quantity: l.quantity, subtotalFen };
  });
  if (!Number.isSafeInteger(amountFen) || amountFen > MAX_ORDER_FEN) {
    throw new AppError('INVALID_ARGUMENT', `The order total exceeds the limit of ${MAX_ORDER_FEN} fen.`);
  }
  return { items, amountFen };
}

/**
 * One document per user (by openid) listing their unpaid orders: the cap is checked and the new order
 * added to it inside the same transaction as the stock and the order, so concurrent calls cannot all
 * pass a count made before any of them wrote.
 */
export const PENDING_HOLDS = 'pendingHolds';

interface Hold {
  orderId: string;
  expiresAt: number;
}

/**
 * Creates a PENDING order with stock reserved; with the same requestId, returns the same order. The
 * cap check, the reservation and the insert are one transaction: all of it happens or none of it, a
 * crash included, so no stock is held by no order and a retried requestId reserves nothing twice.
 */
export async function createOrder(ctx: OrderContext, openid: string, lines: CartLine[], requestId?: string): Promise<OrderDoc> {
  const orderId = newOrderId(openid, requestId);
  if (requestId !== undefined) {
    const found = await ctx.repo.getOwned(orderId, openid);
    if (found) return found;
  }
  const products = await loadProducts(ctx.db, lines.map((l) => l.skuId));
  const { items, amountFen } = priceItems(lines, products);
  const now = ctx.now();
  const doc: OrderDoc = {
    _id: orderId,
    _openid: openid,
    outTradeNo: newOutTradeNo(now),
    status: 'PENDING',
    amountFen,
    items,
    createdAt: now,
    expiresAt: now + ctx.config.orderTtlSeconds * 1000,
    queryCount: 0,
    stockReleased: false,
    fulfilmentOf: fulfilmentTypesOf(items, products),
  };
  if (requestId !== undefined) doc.requestId = requestId;
  try {
    return await ctx.db.runTransaction(async (t) => {
      const orders = t.collection(ORDERS);
      // A concurrent retry with the same requestId got there first.
      const winner = await getIfExists<OrderDoc>(orders.doc(orderId));
      if (winner) {
        if (winner._openid !== openid) await t.rollback(invalidArgument('requestId is already used by another order.'));
        return winner;
      }
      // Every unpaid order holds stock: without a cap one user could keep the shop sold out.
      const holds = (await getIfExists<{ orders?: Hold[] }>(t.collection(PENDING_HOLDS).doc(openid)))?.orders ?? [];
      const open: Hold[] = [];
      for (const h of holds) {
        if (h.expiresAt <= now) continue;
        if ((await getIfExists<OrderDoc>(orders.doc(h.orderId)))?.status === 'PENDING') open.push(h);
      }
      if (open.length >= ctx.config.maxPendingOrders) {
        await t.rollback(new AppError('TOO_MANY_PENDING_ORDERS', `You have ${open.length} unpaid orders; pay or cancel one before ordering again.`));
      }
      await takeStock(t, ctx.db.command, lines, (skuId) => products.get(skuId)?.name ?? skuId);
      await orders.doc(orderId).set({ data: doc as unknown as DocData });
      await t.collection(PENDING_HOLDS).doc(openid).set({ data: { orders: [...open, { orderId, expiresAt: doc.expiresAt }] } });
      return doc;
    }, TRANSACTION_ATTEMPTS);
  } catch (err) {
    if (err instanceof AppError) throw err;
    // Reported failed after it committed (a lost answer): the order, with its stock, is there.
    const landed = await ctx.repo.getOwned(orderId, openid).catch(() => undefined);
    if (landed?.outTradeNo === doc.outTradeNo) return landed;
    throw err;
  }
}
