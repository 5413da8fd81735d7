import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, startHost, stop } from '../helpers/built-host';
import { postJson, request } from '../helpers/sandbox';

/**
 * Crash run: the built local host (`npm start`) killed with SIGKILL in the middle of a burst of
 * orders and payments, then started again on the same SANDBOX_DIR, the clients retrying what was cut.
 * What must hold: no order acknowledged to a client is lost, none exists twice, every payment whose
 * notification was acknowledged is PAID, and the stock is exactly what the orders hold.
 */

const BURST = 90;
// Several lines per order: more writes in flight when the host dies.
const SKUS = ['sku-drip-bags', 'sku-gift-card', 'sku-filter-papers'];
const itemsOf = (i: number) => SKUS.map((skuId) => ({ skuId, quantity: 1 + (i % 3) }));

describe('the local host killed mid-burst', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-crash-'));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child) await stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing acknowledged and keeps stock exact across the restart', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(await freePort()), SANDBOX_DIR: dir };
    let host = await startHost(env);
    child = host.child;
    const call = (openid: string, event: unknown) => postJson(`${host.url}/api/checkout`, event, { 'X-WX-OPENID': openid });
    const stockOf = async () => ((await call('reader', { action: 'listProducts' })).body.data.products as { skuId: string; stock: number }[]).filter((p) => SKUS.includes(p.skuId)).map((p) => p.stock);
    const initial = await stockOf();

    const created = new Map<number, string>(); // burst index → orderId, acknowledged
    const notified = new Set<string>(); // orderIds whose notification payNotify acknowledged
    let acknowledged = 0;
    let kill!: () => void;
    const killed = new Promise<void>((r) => (kill = r));
    const one = async (i: number) => {
      const openid = `crash-${i}`;
      const c = await call(openid, { action: 'createOrder', items: itemsOf(i), requestId: `burst-${i}` });
      if (!c.body?.ok) return;
      created.set(i, c.body.data.order.orderId);
      if (++acknowledged === 15) kill();
      const p = await call(openid, { action: 'pay', orderId: c.body.data.order.orderId, method: 'wechat' });
      if (!p.body?.ok) return;
      const w = await postJson(`${host.url}/sandbox/api/wxpay/request-payment`, { params: p.body.data.payment, outcome: 'pay' });
      if (w.body?.payment?.deliveries?.[0]?.accepted) notified.add(c.body.data.order.orderId);
    };
    const burst = Promise.allSettled(Array.from({ length: BURST }, (_x, i) => one(i)));
    await killed;
    child.kill('SIGKILL');
    await burst;
    await new Promise<void>((r) => (child!.exitCode !== null || child!.signalCode !== null ? r() : child!.once('exit', () => r())));
    expect(created.size).toBeLessThan(BURST);

    // Pooled keep-alive sockets point at the dead host.
    http.globalAgent.destroy();
    host = await startHost(env);
    child = host.child;
    // The clients retry every call that was cut, with the same requestId.
    for (let i = 0; i < BURST; i++) {
      const c = await call(`crash-${i}`, { action: 'createOrder', items: itemsOf(i), requestId: `burst-${i}` });
      expect(c.body.ok).toBe(true);
      if (created.has(i)) expect(c.body.data.order.orderId).toBe(created.get(i));
    }

    type Stored = { _id: string; _openid: string; status: string; items: { quantity: number }[] };
    const state = JSON.parse((await request(`${host.url}/sandbox/api/state`)).body.toString('utf8')) as { orders: Stored[] };
    const orders = state.orders.filter((o) => o._openid.startsWith('crash-'));
    // Exactly one order per burst call, every acknowledged one among them.
    expect(orders).toHaveLength(BURST);
    expect(new Set(orders.map((o) => o._openid)).size).toBe(BURST);
    for (const id of created.values()) expect(orders.some((o) => o._id === id)).toBe(true);
    for (const id of notified) expect(orders.find((o) => o._id === id)?.status).toBe('PAID');
    const held = orders.filter((o) => o.status !== 'CLOSED').reduce((n, o) => n + o.items[0].quantity, 0);
    // Every line of an order has the same quantity.
    expect(await stockOf()).toEqual(initial.map((n) => n - held));
  });
});
