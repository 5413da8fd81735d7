import type { CartLine, OrderItem } from '../../../typings/checkout';
import { loadProducts } from '../catalog';
import { AppError } from '../errors';
import { releaseStock, reserveStock } from '../stock';
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

/** Creates a PENDING order with stock reserved; with the same requestId, returns the same order. */
export async function createOrder(ctx: OrderContext, openid: string, lines: CartLine[], requestId?: string): Promise<OrderDoc> {
  const orderId = newOrderId(openid, requestId);
  if (requestId !== undefined) {
    const existing = await ctx.repo.getOwned(orderId, openid);
    if (existing) return existing;
  }
  // Every unpaid order holds stock: without a cap one user could keep the shop sold out.
  const _ = ctx.db.command;
  const { total: pending } = await ctx.db.collection(ORDERS).where({ _openid: openid, status: 'PENDING', expiresAt: _.gt(ctx.now()) }).count();
  if (pending >= ctx.config.maxPendingOrders) {
    throw new AppError('TOO_MANY_PENDING_ORDERS', `You have ${pending} unpaid orders; pay or cancel one before ordering again.`);
  }
  const products = await loadProducts(ctx.db, lines.map((l) => l.skuId));
  const { items, amountFen } = priceItems(lines, products);

  const short = await reserveStock(ctx.db, lines);
  if (short !== undefined) {
    throw new AppError('OUT_OF_STOCK', `Not enough stock for ${products.get(short)?.name ?? short}.`);
  }
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
  let inserted: boolean;
  try {
    inserted = await ctx.repo.insert(doc);
  } catch (err) {
    await releaseStock(ctx.db, lines);
    throw err;
  }
  if (inserted) return doc;
  const winner = await ctx.repo.getOwned(orderId, openid);
  // Our own insert, reported as failed after it landed: the reservation is this order's.
  if (winner?.outTradeNo === doc.outTradeNo) return winner;
  // A concurrent retry with the same requestId won the insert: give our reservation back.
  await releaseStock(ctx.db, lines);
  if (!winner) throw new AppError('INVALID_ARGUMENT', 'requestId is already used by another order.');
  return winner;
}
