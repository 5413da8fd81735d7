import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBuiltFunction } from '../local-host/load-built-function';
import { startSandbox } from '../local-host/sandbox';
import { callCounts, type CallCounts } from '../local-host/wx-server-sdk';
import { post } from './host';

/**
 * Database calls each action makes, counted by the stand-in around one call of the action (the host
 * in this process, the built functions, nothing else running): each is a round trip in the cloud.
 */
export async function callFigures(root: string): Promise<[string, CallCounts][]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-calls-'));
  const s = await startSandbox({ port: 0, sandboxDir: dir, rootDir: root, sweepEveryMs: 0, loadFunction: (n) => loadBuiltFunction(root, n) });
  const rows: [string, CallCounts][] = [];
  const as = { 'X-WX-OPENID': 'bench-calls' };
  const api = `${s.url}/api/checkout`;
  const counted = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const before = callCounts();
    const r = await fn();
    const after = callCounts();
    rows.push([name, { read: after.read - before.read, query: after.query - before.query, write: after.write - before.write, transaction: after.transaction - before.transaction }]);
    return r;
  };
  const checkout = async (event: Record<string, unknown>) => {
    const r = await post(api, event, as);
    if (!r.body?.ok) throw new Error(`${String(event.action)}: ${JSON.stringify(r.body)}`);
    return r.body.data;
  };
  try {
    await counted('listProducts', () => checkout({ action: 'listProducts' }));
    const { order } = await counted('createOrder', () => checkout({ action: 'createOrder', items: [{ skuId: 'sku-filter-papers', quantity: 1 }] }));
    const paid = await counted('pay (wechat)', () => checkout({ action: 'pay', orderId: order.orderId, method: 'wechat' }));
    await counted('pay again (same order)', () => checkout({ action: 'pay', orderId: order.orderId, method: 'wechat' }));
    await counted('queryOrder (PENDING)', () => checkout({ action: 'queryOrder', orderId: order.orderId }));
    const payment = s.emulators.wxpayV3.list().find((p) => p.outTradeNo === order.outTradeNo);
    await counted('payNotify (first delivery)', async () => {
      const r = await post(`${s.url}/sandbox/api/wxpay/request-payment`, { params: paid.payment, outcome: 'pay' });
      if (r.status !== 200) throw new Error(`request-payment: ${r.status}`);
      for (let i = 0; i < 500 && !payment?.deliveries.some((d) => d.accepted); i++) await new Promise((res) => setTimeout(res, 5));
    });
    await counted('queryOrder (PAID)', () => checkout({ action: 'queryOrder', orderId: order.orderId }));
    await counted('listOrders', () => checkout({ action: 'listOrders' }));
    const second = (await checkout({ action: 'createOrder', items: [{ skuId: 'sku-filter-papers', quantity: 1 }] })).order;
    await checkout({ action: 'pay', orderId: second.orderId, method: 'wechat' });
    await counted('cancelOrder (after pay)', () => checkout({ action: 'cancelOrder', orderId: second.orderId }));
    await counted('timer sweep (nothing due)', () => s.runTimer());
  } finally {
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
