import type { Config } from '../../cloudfunctions/common/config';
import type { Collection, Database, Transaction } from '../../cloudfunctions/common/db/types';
import type { OrderContext } from '../../cloudfunctions/common/orders/context';
import { createOrder } from '../../cloudfunctions/common/orders/create';
import { OrderRepository } from '../../cloudfunctions/common/orders/repository';
import { closePendingOrder } from '../../cloudfunctions/common/orders/transitions';
import type { Providers } from '../../cloudfunctions/common/payment/providers';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';

/**
 * Stock and the unpaid-order cap under concurrency and crashes (issue 11, items 5 and 6). A crash is
 * staged by a database whose chosen write never returns: the function stops there, as if killed.
 */

type Op = { coll: string; op: string };
const never = () => new Promise<never>(() => undefined);

/** The database, except that the first write matching `hang` never completes (and everything of that call after it). */
function crashingDatabase(real: Database, hang: (o: Op) => boolean): Database & { crashed: boolean } {
  const state = { crashed: false };
  const trip = (o: Op) => {
    if (!state.crashed && hang(o)) state.crashed = true;
    return state.crashed;
  };
  const wrapRef = <R extends object>(coll: string, ref: R): R =>
    new Proxy(ref, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv);
        if (typeof v !== 'function') return v;
        if (['set', 'update', 'add', 'remove'].includes(String(prop))) return (...args: unknown[]) => (trip({ coll, op: String(prop) }) ? never() : v.apply(target, args));
        if (prop === 'doc' || prop === 'where') return (...args: unknown[]) => wrapRef(coll, v.apply(target, args));
        return v.bind(target);
      },
    });
  return Object.assign(state, {
    command: real.command,
    collection: (name: string) => wrapRef(name, real.collection(name) as Collection),
    runTransaction: <T>(cb: (t: Transaction) => Promise<T>, times?: number) =>
      real.runTransaction((t) => cb({ collection: (n: string) => wrapRef(n, t.collection(n)), rollback: (r?: unknown) => t.rollback(r) }), times),
  });
}

const providers = {} as Providers;
function contextOn(db: Database, maxPendingOrders = 100): OrderContext {
  return { db, repo: new OrderRepository(db), config: { orderTtlSeconds: 1800, maxPendingOrders } as Config, providers, now: () => Date.now() };
}

async function catalog(stock = 50) {
  const db = createMemoryDatabase();
  await db.collection('products').doc('sku-1').set({ data: { name: 'Mug', priceFen: 100, stock, active: true } });
  return db;
}
const stockOf = async (db: Database) => (await db.collection('products').doc('sku-1').get()).data.stock as number;
const pendingOf = async (db: Database, openid: string) => (await db.collection('orders').where({ _openid: openid, status: 'PENDING' }).count()).total;
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('the unpaid-order cap', () => {
  it('holds for 30 concurrent createOrder calls of one user', async () => {
    const db = await catalog();
    const ctx = contextOn(db, 2);
    const results = await Promise.all(Array.from({ length: 30 }, () => createOrder(ctx, 'alice', [{ skuId: 'sku-1', quantity: 1 }]).then(() => 'ok', (e: { code?: string }) => e.code)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(2);
    expect(results.filter((r) => r !== 'ok').every((r) => r === 'TOO_MANY_PENDING_ORDERS')).toBe(true);
    expect(await pendingOf(db, 'alice')).toBe(2);
    expect(await stockOf(db)).toBe(48);
  });

  it('does not count orders that were closed or expired', async () => {
    const db = await catalog();
    const ctx = contextOn(db, 1);
    const first = await createOrder(ctx, 'bob', [{ skuId: 'sku-1', quantity: 1 }]);
    await expect(createOrder(ctx, 'bob', [{ skuId: 'sku-1', quantity: 1 }])).rejects.toMatchObject({ code: 'TOO_MANY_PENDING_ORDERS' });
    expect(await closePendingOrder(db, first, 'CANCELLED', Date.now())).toMatchObject({ status: 'CLOSED', closeReason: 'CANCELLED', stockReleased: true });
    const second = await createOrder(ctx, 'bob', [{ skuId: 'sku-1', quantity: 1 }]);
    const later = { ...ctx, now: () => second.expiresAt + 1 };
    expect((await createOrder(later, 'bob', [{ skuId: 'sku-1', quantity: 1 }])).status).toBe('PENDING');
  });

  it('concurrent buyers of the last units never oversell', async () => {
    const db = await catalog(5);
    const ctx = contextOn(db, 100);
    const results = await Promise.all(Array.from({ length: 20 }, (_x, i) => createOrder(ctx, `u${i}`, [{ skuId: 'sku-1', quantity: 1 }]).then(() => 'ok', (e: { code?: string }) => e.code)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(5);
    expect(results.filter((r) => r !== 'ok').every((r) => r === 'OUT_OF_STOCK')).toBe(true);
    expect(await stockOf(db)).toBe(0);
  });
});

describe('a crash while creating an order', () => {
  it('between reserving stock and inserting the order leaves no stock held by no order; the retry reserves once', async () => {
    const real = await catalog();
    const crashing = crashingDatabase(real, (o) => o.coll === 'orders' && (o.op === 'add' || o.op === 'set'));
    void createOrder(contextOn(crashing), 'carol', [{ skuId: 'sku-1', quantity: 8 }], 'req-crash-1');
    await settle();
    expect(crashing.crashed).toBe(true);
    expect(await stockOf(real)).toBe(50);
    // The client retries the cut call with the same requestId.
    const order = await createOrder(contextOn(real), 'carol', [{ skuId: 'sku-1', quantity: 8 }], 'req-crash-1');
    expect(order.status).toBe('PENDING');
    expect(await stockOf(real)).toBe(42);
    expect(await createOrder(contextOn(real), 'carol', [{ skuId: 'sku-1', quantity: 8 }], 'req-crash-1')).toMatchObject({ _id: order._id });
    expect(await stockOf(real)).toBe(42);
  });

  it('an insert reported failed after it landed neither loses nor doubles stock', async () => {
    const real = await catalog();
    const lossy: Database = {
      command: real.command,
      collection: (n) => real.collection(n),
      runTransaction: async (cb, times) => {
        await real.runTransaction(cb, times);
        throw new Error('network error: the answer was lost');
      },
    };
    const order = await createOrder(contextOn(lossy), 'dave', [{ skuId: 'sku-1', quantity: 3 }]);
    expect(order.status).toBe('PENDING');
    expect(await stockOf(real)).toBe(47);
    expect(await pendingOf(real, 'dave')).toBe(1);
  });
});

describe('a crash while closing an order', () => {
  it('leaves it either PENDING with its stock or CLOSED with its stock back, and a retry releases once', async () => {
    const real = await catalog();
    const order = await createOrder(contextOn(real), 'erin', [{ skuId: 'sku-1', quantity: 4 }]);
    expect(await stockOf(real)).toBe(46);
    const crashing = crashingDatabase(real, (o) => o.coll === 'products' && o.op === 'update');
    void closePendingOrder(crashing, order, 'EXPIRED', Date.now());
    await settle();
    expect(crashing.crashed).toBe(true);
    const after = (await real.collection('orders').doc(order._id).get()).data;
    // Never "closed, stock not back": that state cannot be told apart from a release that happened.
    expect({ status: after.status, stock: await stockOf(real) }).toEqual({ status: 'PENDING', stock: 46 });
    expect(await closePendingOrder(real, order, 'EXPIRED', Date.now())).toMatchObject({ status: 'CLOSED', closeReason: 'EXPIRED', stockReleased: true });
    expect(await closePendingOrder(real, order, 'EXPIRED', Date.now())).toBeUndefined();
    expect((await real.collection('orders').doc(order._id).get()).data).toMatchObject({ status: 'CLOSED', stockReleased: true });
    expect(await stockOf(real)).toBe(50);
  });
});
