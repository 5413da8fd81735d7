import type { PayMethod } from '../../typings/checkout';
import type { Config } from '../../cloudfunctions/common/config';
import { AppError } from '../../cloudfunctions/common/errors';
import type { OrderContext } from '../../cloudfunctions/common/orders/context';
import { createOrder } from '../../cloudfunctions/common/orders/create';
import { pay } from '../../cloudfunctions/common/orders/pay';
import { cancel, reconcile } from '../../cloudfunctions/common/orders/reconcile';
import { OrderRepository } from '../../cloudfunctions/common/orders/repository';
import { sweepExpiredOrders } from '../../cloudfunctions/common/orders/sweep';
import { createProviders } from '../../cloudfunctions/common/payment/providers';
import { handleNotify } from '../../cloudfunctions/payNotify/src/handler';
import { Notifier } from '../../scripts/local-host/emulators/notifier';
import { createWxPayV3Emulator } from '../../scripts/local-host/emulators/wxpay-v3';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';
import { serveEmulator, serveHttp, type Served } from '../helpers/loopback';
import { makeV3Keys } from '../helpers/wxpay-keys';

/**
 * Fault run (bounded, loopback): WeChat Pay failing (500) or hanging past the client's timeout (the
 * trade placed or closed all the same, its answer lost) on a share of requests while orders are paid,
 * queried and cancelled; then the faults stop and everything is reconciled. What must hold: every
 * trade paid at the provider is a PAID order, every other order is CLOSED with its trade closed at the
 * provider, stock is exact, and every error a caller saw was a typed one.
 */

const ORDERS = 40;
const STOCK = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// One clock for us and the emulator, moved on to expire the orders at the end.
let offset = 0;
const clock = () => Date.now() + offset;
// A fixed pseudo-random sequence: the same share of faults on every run.
let seed = 11;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

const keys = makeV3Keys();
const emulator = createWxPayV3Emulator({
  merchant: { mchid: keys.merchant.mchid, appid: keys.merchant.appid, certSerial: keys.merchant.certSerial, publicKey: keys.merchant.publicKey, apiV3Key: keys.merchant.apiV3Key },
  platform: { publicKeyId: keys.platform.publicKeyId, privateKey: keys.platform.privateKey },
  notifier: new Notifier({ scheduleMs: [20, 40, 80], isAccepted: (status) => status === 200 || status === 204, timeoutMs: 1000 }),
  now: clock,
});
let faulty = true;
const injected = { failed: 0, hung: 0 };
let api: Served;
let notify: Served;
let ctx: OrderContext;
const db = createMemoryDatabase();

beforeAll(async () => {
  api = await serveEmulator(async (req) => {
    const r = rnd();
    if (faulty && r < 0.2) {
      injected.failed++;
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"code":"SYSTEM_ERROR","message":"busy"}' };
    }
    if (faulty && r < 0.35) {
      injected.hung++;
      // Past the client's timeout: the emulator still acts on the request, nobody reads the answer.
      await sleep(400);
    }
    return emulator.handle(req);
  });
  notify = await serveHttp(async (req) => handleNotify({ httpMethod: req.method, path: req.path, headers: req.headers, body: req.rawBody.toString('base64'), isBase64Encoded: true }, ctx));
  const config = { wxpay: keys.config(api.url, `${notify.url}/payNotify`), orderTtlSeconds: 1800, maxPendingOrders: 100 } as Config;
  ctx = { db, repo: new OrderRepository(db), config, providers: createProviders(config, { timeoutMs: 200, retry: { attempts: 2, firstDelayMs: 5 }, now: clock }), now: clock };
  await db.collection('products').doc('sku-1').set({ data: { name: 'Mug', priceFen: 990, stock: STOCK, active: true } });
});
afterAll(async () => {
  await api.close();
  await notify.close();
});

/** Any error a caller gets must be one of the contract's codes. */
const untyped: unknown[] = [];
const attempt = <T>(p: Promise<T>) =>
  p.catch((e: unknown) => {
    if (!(e instanceof AppError)) untyped.push(e);
    return undefined;
  });

it('pays, queries and cancels through provider faults, then reconciles everything', async () => {
  const started = Date.now();
  await Promise.all(
    Array.from({ length: ORDERS }, async (_x, i) => {
      const openid = `fault-${i % 7}`;
      const order = await createOrder(ctx, openid, [{ skuId: 'sku-1', quantity: 1 + (i % 3) }]);
      const method: PayMethod = i % 2 ? 'wechat' : 'native';
      // Some payers try again after an error, as the mini-program lets them.
      let handed = await attempt(pay(ctx, order, method, openid));
      if (!handed) handed = await attempt(pay(ctx, (await ctx.repo.get(order._id))!, method, openid));
      if (handed && i % 5 !== 4) {
        const trade = emulator.list().find((p) => p.outTradeNo === order.outTradeNo);
        if (trade) await emulator.settle(trade.id, 'pay').catch(() => undefined);
      }
      await attempt(reconcile(ctx, (await ctx.repo.get(order._id))!));
      if (i % 4 === 3) await attempt(cancel(ctx, (await ctx.repo.get(order._id))!));
      await attempt(reconcile(ctx, (await ctx.repo.get(order._id))!));
    }),
  );
  expect(injected.failed).toBeGreaterThan(5);
  expect(injected.hung).toBeGreaterThan(5);
  expect(untyped).toEqual([]);

  // The faults stop; redeliveries land; the orders run out of time and the timer run settles them.
  faulty = false;
  await sleep(500);
  offset += 31 * 60_000;
  for (let run = 0; run < 5; run++) {
    await sweepExpiredOrders(ctx, 100);
    offset += 61_000;
  }

  const orders = db.dump('orders') as unknown as { outTradeNo: string; status: string; items: { quantity: number }[]; paidAfterClose?: unknown; payment?: { prepayId?: string; codeUrl?: string } }[];
  expect(orders).toHaveLength(ORDERS);
  const trades = new Map(emulator.list().map((p) => [p.outTradeNo, p.status]));
  for (const o of orders) {
    const atProvider = trades.get(o.outTradeNo);
    if (atProvider === 'PAID') expect({ o: o.outTradeNo, status: o.status }).toEqual({ o: o.outTradeNo, status: 'PAID' });
    else {
      expect({ o: o.outTradeNo, status: o.status }).toEqual({ o: o.outTradeNo, status: 'CLOSED' });
      // Closed at the provider too, wherever a trade was placed (lost answers included). One exception
      // cannot be closed by anyone: a placement held up in the network past our close lands later;
      // its prepay_id / code_url never reached us, so nobody can pay it, and its time_expire ends it.
      const handedOut = o.payment?.prepayId !== undefined || o.payment?.codeUrl !== undefined;
      const trade = emulator.list().find((p) => p.outTradeNo === o.outTradeNo);
      const over = atProvider === 'CLOSED' || (!handedOut && trade?.expiresAt !== undefined && trade.expiresAt <= clock());
      if (atProvider !== undefined) expect({ o: o.outTradeNo, atProvider, over }).toEqual({ o: o.outTradeNo, atProvider, over: true });
    }
    expect(o.paidAfterClose).toBeUndefined();
  }
  const paidUnits = orders.filter((o) => o.status === 'PAID').reduce((n, o) => n + o.items[0].quantity, 0);
  expect(orders.some((o) => o.status === 'PAID')).toBe(true);
  expect(orders.some((o) => o.status === 'CLOSED')).toBe(true);
  expect((await db.collection('products').doc('sku-1').get()).data.stock).toBe(STOCK - paidUnits);
  expect(Date.now() - started).toBeLessThan(20_000);
});
