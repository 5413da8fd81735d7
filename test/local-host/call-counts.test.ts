import * as path from 'node:path';
import { callFigures } from '../../scripts/bench/call-figures';

/**
 * Each database call is a network round trip in the cloud: the count per action is pinned, so a
 * call added by accident fails here (the stand-in counts them; the built functions, as uploaded).
 */
const ROOT = path.resolve(__dirname, '../..');

test('database calls per action stay as few as measured', async () => {
  const rows = Object.fromEntries((await callFigures(ROOT)).map(([name, c]) => [name, c.read + c.query + c.write]));
  expect(rows).toEqual(EXPECTED);
}, 60_000);

// Measured on 2026-12-01 after removing the re-reads, payNotify on 2026-12-02 after the PAID update claimed the first fulfilment attempt (see git log); lower them when a call goes.
const EXPECTED: Record<string, number> = {
  listProducts: 1,
  createOrder: 7,
  'pay (wechat)': 3,
  'pay again (same order)': 1,
  'queryOrder (PENDING)': 1,
  'payNotify (first delivery)': 3,
  'queryOrder (PAID)': 1,
  listOrders: 1,
  'cancelOrder (after pay)': 5,
  'timer sweep (nothing due)': 5,
};
