import * as path from 'node:path';
import type { WxPayV3Trade } from '../local-host/emulators/wxpay-v3';
import { emulatorStateFile } from '../local-host/emulators/state-file';
import { createMemoryDatabase } from '../local-host/wx-server-sdk';

/**
 * Fills a SANDBOX_DIR with `count` orders as the host stores them: copies of one order the host made
 * (in its database) and of its trade (in the v3 emulator's state), each with its own ids, spread over
 * 1,000 users. Written while the host is stopped, through the same stores the host uses.
 */
export async function seedOrders(
  sandboxDir: string,
  count: number,
  status: 'PAID' | 'PENDING',
  openidOf = (i: number) => `seed-user-${i % 1000}`,
): Promise<{ orderIds: string[]; trades: WxPayV3Trade[] }> {
  const db = createMemoryDatabase({ dir: path.join(sandboxDir, 'db') });
  const templates = db.dump('orders').filter((o) => o.status === status);
  if (templates.length === 0) throw new Error(`no ${status} order to copy in ${sandboxDir}`);
  const order = templates[templates.length - 1];
  const store = emulatorStateFile<WxPayV3Trade>(path.join(sandboxDir, 'emulators'), 'wxpay-v3');
  const trades = store.load((saved) => saved as WxPayV3Trade) ?? [];
  const trade = trades.find((t) => t.payment.outTradeNo === order.outTradeNo);
  if (!trade) throw new Error(`no emulator trade for ${String(order.outTradeNo)}`);

  // Unique strings of the template, longest first so no token is replaced inside another.
  const tokens = [order._id, order.outTradeNo, trade.payment.id, trade.payment.transactionId, order._openid]
    .filter((t): t is string => typeof t === 'string' && t.length >= 6)
    .sort((a, b) => b.length - a.length);
  const pattern = new RegExp(tokens.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const orderJson = JSON.stringify(order);
  const tradeJson = JSON.stringify(trade);
  const orderIds: string[] = [];
  const newTrades: WxPayV3Trade[] = [];
  const ops: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const swap = (s: string) =>
      s.replace(pattern, (t) => {
        if (t === order._openid) return openidOf(i);
        // Same length keeps each id inside the limits the code checks (out_trade_no ≤ 32 characters).
        const suffix = i.toString(36);
        return t.slice(0, t.length - suffix.length - 1) + 'z' + suffix;
      });
    const o = reviveDates(JSON.parse(swap(orderJson)) as Record<string, unknown>, order);
    orderIds.push(o._id as string);
    ops.push(db.collection('orders').add({ data: o }));
    newTrades.push(JSON.parse(swap(tradeJson)) as WxPayV3Trade);
  }
  await Promise.all(ops);
  store.save([...trades, ...newTrades], newTrades);
  db.close();
  return { orderIds, trades: newTrades };
}

/** Dates survive the JSON copy as strings: give them back their type, field by field of the template. */
function reviveDates(copy: Record<string, unknown>, template: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(template)) {
    if (v instanceof Date && typeof copy[k] === 'string') copy[k] = new Date(copy[k] as string);
    else if (v && typeof v === 'object' && !Array.isArray(v) && copy[k] && typeof copy[k] === 'object') reviveDates(copy[k] as Record<string, unknown>, v as Record<string, unknown>);
  }
  return copy;
}
