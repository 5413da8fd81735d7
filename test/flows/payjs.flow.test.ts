import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Order, PayData } from '../../typings/checkout';
import type { EmulatedPayment } from '../../scripts/local-host/emulators/types';
import { forgePayjsExtraData, forgePayjsNotify, payjsReferenceSign, payjsSandboxMerchant } from '../helpers/forge-payjs';
import { replay, startTestSandbox, waitForStatus, type RecordedRequest, type TestSandbox } from '../helpers/sandbox';

/**
 * The PAYJS path through the local host: pay → signed jump → the PAYJS emulator (what the PAYJS
 * mini-program does) → the payer's choice → form notify to payNotify, and the rate-limited `check`.
 */

type PayjsPay = Extract<PayData, { method: 'payjs' }>;

interface Seen extends RecordedRequest {
  answer?: { status: number; body: string };
}

/**
 * The notify URL PAYJS is given: records each notification and forwards it to payNotify, unless held
 * (then it waits until released), so a test can decide when the notify "gets through".
 */
async function startNotifyGate(target: () => string) {
  const seen: Seen[] = [];
  let gate: Promise<void> | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const rec: Seen = { method: req.method ?? 'POST', url: req.url ?? '/', headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body: Buffer.concat(chunks) };
      seen.push(rec);
      if (gate) await gate;
      const fwd = await replay(target(), rec);
      rec.answer = { status: fwd.status, body: fwd.body };
      res.writeHead(fwd.status, { 'content-type': fwd.contentType });
      res.end(fwd.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/payjs-notify`,
    seen,
    /** Holds notifications until the returned function is called. */
    hold(): () => void {
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      return () => {
        gate = null;
        open();
      };
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const until = async (what: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('PAYJS checkout flows through the local host', () => {
  let s: TestSandbox;
  let gate: Awaited<ReturnType<typeof startNotifyGate>>;
  const alice = 'openid-alice';

  beforeAll(async () => {
    gate = await startNotifyGate(() => `${s.url}/http/payNotify`);
    s = await startTestSandbox({ PAYJS_NOTIFY_URL: gate.url });
  });
  afterAll(async () => {
    await s.close();
    await gate.close();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await s.post('/sandbox/api/faults', { provider: 'payjs', clear: true });
  });

  const newOrder = async (quantity = 1, skuId = 'sku-mug'): Promise<Order> => (await s.ok(alice, { action: 'createOrder', items: [{ skuId, quantity }] })).order;
  const payjsPay = async (orderId: string) => (await s.ok(alice, { action: 'pay', orderId, method: 'payjs' })) as PayjsPay;
  const query = async (orderId: string, payjsOrderId?: string) =>
    (await s.ok(alice, payjsOrderId ? { action: 'queryOrder', orderId, payjsOrderId } : { action: 'queryOrder', orderId })).order;
  const checks = () => s.emulators.payjs.received.filter((r) => r.path === '/api/check').length;
  const closes = () => s.emulators.payjs.received.filter((r) => r.path === '/api/close').length;
  const fault = (path: string, reply: { statusCode: number; headers: Record<string, string>; body: string }) =>
    s.post('/sandbox/api/faults', { provider: 'payjs', fault: { pathIncludes: path, kind: 'reply', reply, times: 1 } });
  /** A check answer PAYJS would sign for an unpaid order (status 0 is not part of the sign). */
  const unpaidAnswer = (order: Order, payjsOrderId: string) => {
    const m = payjsSandboxMerchant(s.dir);
    const fields = { return_code: 1, mchid: m.mchid, out_trade_no: order.outTradeNo, payjs_order_id: payjsOrderId, status: 0, total_fee: order.amountFen };
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...fields, sign: payjsReferenceSign(fields, m.key) }) };
  };
  /** What PAYJS may answer for an order id it does not know: unsigned, with a msg. */
  const unsignedRefusal = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ return_code: 0, msg: '订单不存在' }) };
  const UNKNOWN_PAYJS_ID = '2099010112000000000000';
  const jump = (extraData: object) => s.post('/sandbox/api/payjs/jump', { extraData });
  const payer = (id: string, outcome: 'pay' | 'cancel' | 'fail') => s.post(`/sandbox/api/payments/${id}/${outcome}`, {});
  const sendNotify = (n: { headers: Record<string, string>; body: Buffer }) => replay(`${s.url}/http/payNotify`, n);

  /** A PENDING PAYJS order opened in the PAYJS mini-program: its emulated payment is waiting. */
  async function jumped(quantity = 1, skuId = 'sku-mug') {
    const order = await newOrder(quantity, skuId);
    const paid = await payjsPay(order.orderId);
    const r = await jump(paid.payjs.extraData);
    expect(r.status).toBe(200);
    return { order, paid, payment: r.body.payment as EmulatedPayment };
  }

  const emulated = (id: string) => s.emulators.payjs.list().find((p) => p.id === id)!;

  it('pay → signed extraData → jump → pay → form notify answered 200 success → PAID', async () => {
    const order = await newOrder(2, 'sku-coffee-beans');
    const paid = await payjsPay(order.orderId);
    const m = payjsSandboxMerchant(s.dir);
    const x = paid.payjs.extraData;
    expect(paid.payjs).toMatchObject({ appId: 'wx959c8c1fb2d877b5', path: 'pages/pay' });
    expect(paid.order).toMatchObject({ payMethod: 'payjs', status: 'PENDING' });
    expect(x).toMatchObject({ mchid: m.mchid, total_fee: 2 * 6800, out_trade_no: order.outTradeNo, notify_url: gate.url });
    expect(Number.isInteger(x.total_fee)).toBe(true);
    expect(x.sign).toBe(payjsReferenceSign(x as unknown as Record<string, unknown>, m.key));
    expect(Array.from(x.body).length).toBeLessThanOrEqual(32);
    expect(x.out_trade_no.length).toBeLessThanOrEqual(32);
    expect(x.nonce).not.toBe('');

    const r = await jump(x);
    expect(r.status).toBe(200);
    const payment = r.body.payment as EmulatedPayment;
    expect(payment).toMatchObject({ status: 'WAITING', amountFen: order.amountFen, outTradeNo: order.outTradeNo });
    expect((await query(order.orderId)).status).toBe('PENDING');

    const seenBefore = gate.seen.length;
    const checksBefore = checks();
    expect((await payer(payment.id, 'pay')).status).toBe(200);
    const note = gate.seen[seenBefore];
    expect(note.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const fields = Object.fromEntries(new URLSearchParams(note.body.toString()));
    expect(fields).toMatchObject({ return_code: '1', total_fee: String(order.amountFen), out_trade_no: order.outTradeNo, payjs_order_id: payment.id, mchid: m.mchid });
    expect(fields.sign).toBe(payjsReferenceSign(fields, m.key));
    expect(note.answer).toEqual({ status: 200, body: 'success' });
    expect(emulated(payment.id).deliveries).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, accepted: true, response: 'success' })]);

    const done = await waitForStatus(s, alice, order.orderId, 'PAID');
    expect(done.status).toBe('PAID');
    const doc = await s.order(order.orderId);
    expect(doc).toMatchObject({ paidVia: 'notify', transactionId: emulated(payment.id).transactionId });
    expect(checks()).toBe(checksBefore); // the notify made asking PAYJS unnecessary
    const again = await s.call(alice, { action: 'pay', orderId: order.orderId, method: 'payjs' });
    expect(again.ok ? null : again.error.code).toBe('ALREADY_PAID');
  });

  it('re-paying reuses the out_trade_no; the PAYJS mini-program refuses tampered or oversized parameters', async () => {
    const { order, paid, payment } = await jumped();
    const again = await payjsPay(order.orderId);
    expect(again.payjs.extraData.out_trade_no).toBe(paid.payjs.extraData.out_trade_no);
    expect(again.payjs.extraData.nonce).not.toBe(paid.payjs.extraData.nonce);
    const r = await jump(again.payjs.extraData);
    expect(r.body.payment.id).toBe(payment.id); // the same PAYJS order, not a second one

    const before = s.emulators.payjs.list().length;
    expect((await jump({ ...paid.payjs.extraData, total_fee: 1 })).status).toBe(400);
    const m = payjsSandboxMerchant(s.dir);
    const base = { total_fee: 100, out_trade_no: `T${Date.now()}`, notify_url: gate.url };
    expect((await jump(forgePayjsExtraData(s.dir, { ...base, body: '字'.repeat(33) }))).status).toBe(400);
    expect((await jump(forgePayjsExtraData(s.dir, { ...base, body: 'x', mchid: '1999999999' }))).status).toBe(400);
    expect((await jump({ ...forgePayjsExtraData(s.dir, { ...base, body: 'x' }), sign: payjsReferenceSign({ ...base, body: 'x' }, 'wrong-key') })).status).toBe(400);
    expect(s.emulators.payjs.list().length).toBe(before);
    // Control: exactly 32 characters, validly signed, is accepted.
    const ok = await jump(forgePayjsExtraData(s.dir, { ...base, body: '字'.repeat(32) }));
    expect(ok.status).toBe(200);
    expect(ok.body.payment.mchid).toBe(m.mchid);
  });

  it('a long product name is cut to 32 characters for PAYJS, and the jump is accepted', async () => {
    const name = '手冲咖啡入门套装（含磨豆机、滤杯、分享壶与温度计）限量版 礼盒装 第二批次';
    await s.db.collection('products').add({ data: { _id: 'sku-long-name', name, priceFen: 19900, stock: 5, active: true } });
    const { paid, payment } = await jumped(1, 'sku-long-name');
    expect(Array.from(name).length).toBeGreaterThan(32);
    expect(paid.payjs.extraData.body).toBe(Array.from(name).slice(0, 32).join(''));
    expect(payment.description).toBe(paid.payjs.extraData.body);
  });

  it('returned without paying: PENDING; the payjsOrderId hint brings one check, which says unpaid', async () => {
    const { order, payment } = await jumped();
    expect((await payer(payment.id, 'cancel')).status).toBe(200);
    const before = checks();
    expect((await query(order.orderId)).status).toBe('PENDING');
    expect(checks()).toBe(before); // no PAYJS order id known yet: nothing to ask
    expect((await query(order.orderId, payment.id)).status).toBe('PENDING');
    expect(checks()).toBe(before + 1);
    expect((await query(order.orderId, payment.id)).status).toBe('PENDING');
    expect(checks()).toBe(before + 1);
    const doc = await s.order(order.orderId);
    expect(doc).toMatchObject({ status: 'PENDING', payjsOrderId: payment.id, queryCount: 1 });
    expect(doc.paidAt).toBeUndefined();
  });

  it('the client claims success but PAYJS says unpaid: never PAID from the hint', async () => {
    const { order, payment } = await jumped();
    for (let i = 0; i < 3; i++) expect((await query(order.orderId, payment.id)).status).toBe('PENDING');
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 6_000);
    const before = checks();
    expect((await query(order.orderId, payment.id)).status).toBe('PENDING');
    expect(checks()).toBe(before + 1); // PAYJS was asked again and still says unpaid
    expect((await s.order(order.orderId)).status).toBe('PENDING');
  });

  it("a hint naming another order's PAYJS payment never pays this one, and is dropped for the right one", async () => {
    const other = await jumped();
    await payer(other.payment.id, 'pay');
    await waitForStatus(s, alice, other.order.orderId, 'PAID');
    const otherPaidAt = (await s.order(other.order.orderId)).paidAt;

    const { order, payment } = await jumped();
    expect((await query(order.orderId, other.payment.id)).status).toBe('PENDING');
    const doc = await s.order(order.orderId);
    expect(doc.status).toBe('PENDING');
    expect(doc.payjsOrderId).toBeUndefined();
    expect((await s.order(other.order.orderId)).paidAt).toBe(otherPaidAt);

    // The notify for this order is lost; the right hint, reported next, finds the payment.
    emulated(payment.id).notifyUrl = 'http://127.0.0.1:9/unreachable';
    await payer(payment.id, 'pay');
    expect((await query(order.orderId, payment.id)).status).toBe('PENDING'); // asked already: the back-off holds
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 5_500);
    expect((await query(order.orderId, payment.id)).status).toBe('PAID');
    expect((await s.order(order.orderId)).paidVia).toBe('query');
  });

  it('alternating wrong and right hints cannot outrun the back-off', async () => {
    const other = await jumped();
    const { order, payment } = await jumped();
    const before = checks();
    for (let i = 0; i < 10; i++) {
      expect((await query(order.orderId, i % 2 === 0 ? other.payment.id : payment.id)).status).toBe('PENDING');
    }
    expect(checks() - before).toBe(1);
  });

  it('polling without a hint uses up no checks: the hint, when it comes, is acted on at once', async () => {
    const { order, payment } = await jumped();
    const before = checks();
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 11_000); // past the first query time
    for (let i = 0; i < 3; i++) expect((await query(order.orderId)).status).toBe('PENDING');
    expect(checks()).toBe(before);
    expect((await s.order(order.orderId)).queryCount).toBe(0);
    await payer(payment.id, 'cancel');
    expect((await query(order.orderId, payment.id)).status).toBe('PENDING');
    expect(checks()).toBe(before + 1);
  });

  it('a malformed hint gets INVALID_ARGUMENT and changes nothing', async () => {
    const { order } = await jumped();
    const r = await s.call(alice, { action: 'queryOrder', orderId: order.orderId, payjsOrderId: 'A'.repeat(40) });
    expect(r.ok ? null : r.error.code).toBe('INVALID_ARGUMENT');
    expect((await s.order(order.orderId)).payjsOrderId).toBeUndefined();
  });

  it('notify before the client returns: already PAID, and the hint asks PAYJS nothing', async () => {
    const { order, payment } = await jumped();
    await payer(payment.id, 'pay');
    await waitForStatus(s, alice, order.orderId, 'PAID');
    const before = checks();
    expect((await query(order.orderId, payment.id)).status).toBe('PAID');
    expect(checks()).toBe(before);
    expect((await s.order(order.orderId)).paidVia).toBe('notify');
  });

  it('notify after the client returns: PENDING while it is held (and check fails), PAID when it arrives', async () => {
    const { order, payment } = await jumped();
    const seenBefore = gate.seen.length;
    const release = gate.hold();
    const paying = payer(payment.id, 'pay'); // resolves after the first delivery attempt
    try {
      await until(() => gate.seen.length > seenBefore);
      await s.post('/sandbox/api/faults', { provider: 'payjs', fault: { pathIncludes: '/api/check', kind: 'reply', reply: { statusCode: 502, headers: {}, body: 'bad gateway' }, times: 1 } });
      const before = checks();
      expect((await query(order.orderId, payment.id)).status).toBe('PENDING');
      expect(checks()).toBe(before + 1);
    } finally {
      release();
    }
    expect((await paying).status).toBe(200);
    expect(gate.seen[seenBefore].answer).toEqual({ status: 200, body: 'success' });
    expect((await query(order.orderId, payment.id)).status).toBe('PAID');
    expect((await s.order(order.orderId)).paidVia).toBe('notify');
  });

  it('the return settles it by check while the notify is held; the late notify is acknowledged and changes nothing', async () => {
    const { order, payment } = await jumped();
    const seenBefore = gate.seen.length;
    const release = gate.hold();
    const paying = payer(payment.id, 'pay');
    let paidAt: number;
    try {
      await until(() => gate.seen.length > seenBefore);
      expect((await query(order.orderId, payment.id)).status).toBe('PAID');
      const doc = await s.order(order.orderId);
      expect(doc.paidVia).toBe('query');
      paidAt = doc.paidAt;
    } finally {
      release();
    }
    await paying;
    expect(gate.seen[seenBefore].answer).toEqual({ status: 200, body: 'success' });
    expect(await s.order(order.orderId)).toMatchObject({ status: 'PAID', paidVia: 'query', paidAt });
  });

  it('duplicate and concurrent notifies: PAID once, every one answered 200 success', async () => {
    const { order } = await jumped();
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const n = forgePayjsNotify(s.dir, order);
    const answers = await Promise.all(Array.from({ length: 8 }, () => sendNotify(n)));
    for (const a of answers) expect(a).toMatchObject({ status: 200, body: 'success' });
    const outcomes = log.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(`payjs ${order.outTradeNo}:`));
    expect(outcomes.filter((l) => l.endsWith(': PAID'))).toHaveLength(1);
    expect(outcomes.filter((l) => l.endsWith(': DUPLICATE'))).toHaveLength(7);
    const paid = await s.order(order.orderId);
    expect(paid).toMatchObject({ status: 'PAID', paidVia: 'notify', transactionId: n.fields.transaction_id });

    // Redelivered later, the same bytes again: acknowledged, nothing moves.
    const late = await Promise.all(Array.from({ length: 4 }, () => sendNotify(n)));
    for (const a of late) expect(a).toMatchObject({ status: 200, body: 'success' });
    expect((await s.order(order.orderId)).paidAt).toBe(paid.paidAt);
  });

  describe('notifications that must change nothing', () => {
    let order: Order;
    beforeEach(async () => {
      ({ order } = await jumped());
    });

    async function expectUntouched(answer: { status: number; body: string }, status: number) {
      expect(answer.status).toBe(status);
      expect(answer.body).not.toBe('success');
      const doc = await s.order(order.orderId);
      expect(doc.status).toBe('PENDING');
      expect(doc.paidAt).toBeUndefined();
    }

    it('forged sign: a field altered after signing, another key, no sign, an unsigned extra field → 401', async () => {
      const n = forgePayjsNotify(s.dir, order);
      const altered = Buffer.from(n.body.toString().replace(`total_fee=${order.amountFen}`, 'total_fee=1'));
      expect(altered.equals(n.body)).toBe(false);
      await expectUntouched(await sendNotify({ ...n, body: altered }), 401);
      const m = payjsSandboxMerchant(s.dir);
      const otherKey = forgePayjsNotify(s.dir, order, { sign: payjsReferenceSign(n.fields, `${m.key}x`) });
      await expectUntouched(await sendNotify(otherKey), 401);
      await expectUntouched(await sendNotify({ ...n, body: Buffer.from(n.body.toString().replace(/&sign=[^&]*/, '')) }), 401);
      await expectUntouched(await sendNotify({ ...n, body: Buffer.concat([n.body, Buffer.from('&coupon_fee=100')]) }), 401);
    });

    it('validly signed, but for another amount → 400', async () => {
      await expectUntouched(await sendNotify(forgePayjsNotify(s.dir, { ...order, amountFen: order.amountFen - 1 })), 400);
      await expectUntouched(await sendNotify(forgePayjsNotify(s.dir, { ...order, amountFen: order.amountFen + 100 })), 400);
    });

    it('validly signed, but for another mchid → non-200', async () => {
      const a = await sendNotify(forgePayjsNotify(s.dir, order, { fields: { mchid: '1599999999' } }));
      await expectUntouched(a, a.status);
      expect(a.status).toBeGreaterThanOrEqual(400);
    });

    it('validly signed, but not paid (return_code 0) or for an unknown order → non-200', async () => {
      await expectUntouched(await sendNotify(forgePayjsNotify(s.dir, order, { fields: { return_code: '0' } })), 400);
      const unknown = await sendNotify(forgePayjsNotify(s.dir, { outTradeNo: '20990101000000UNKNOWN00000', amountFen: order.amountFen }));
      expect(unknown.status).toBe(404);
    });

    it('control: the same forger with everything right makes it PAID', async () => {
      const a = await sendNotify(forgePayjsNotify(s.dir, order));
      expect(a).toMatchObject({ status: 200, body: 'success' });
      expect((await s.order(order.orderId)).status).toBe('PAID');
    });
  });

  it('check erroring: queryOrder answers the order as known, and the back-off holds over a burst', async () => {
    const { order, payment } = await jumped();
    await payer(payment.id, 'cancel');
    await s.post('/sandbox/api/faults', { provider: 'payjs', fault: { pathIncludes: '/api/check', kind: 'reply', reply: { statusCode: 500, headers: {}, body: 'busy' }, times: 100 } });
    const before = checks();
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => s.call(alice, { action: 'queryOrder', orderId: order.orderId, payjsOrderId: payment.id })));
    for (const r of concurrent) expect(r.ok && r.data.order.status).toBe('PENDING');
    for (let i = 0; i < 10; i++) expect((await query(order.orderId, payment.id)).status).toBe('PENDING');
    expect(checks() - before).toBeGreaterThanOrEqual(1);
    expect(checks() - before).toBeLessThanOrEqual(2);

    // Each later check waits longer: 5 s after the first, then 15 s.
    const t0 = Date.now();
    const clock = jest.spyOn(Date, 'now');
    const burst = async () => {
      const n = checks();
      for (let i = 0; i < 5; i++) await query(order.orderId, payment.id);
      return checks() - n;
    };
    clock.mockReturnValue(t0 + 4_000);
    expect(await burst()).toBe(0);
    clock.mockReturnValue(t0 + 5_500);
    expect(await burst()).toBe(1);
    clock.mockReturnValue(t0 + 5_500 + 14_000);
    expect(await burst()).toBe(0);
    clock.mockReturnValue(t0 + 5_500 + 15_500);
    expect(await burst()).toBe(1);
    expect((await s.order(order.orderId)).status).toBe('PENDING');
  });

  it('check slow: queryOrder still answers before the cloud function time limit, and nobody else asks meanwhile', async () => {
    const { order, payment } = await jumped();
    await s.post('/sandbox/api/faults', { provider: 'payjs', fault: { pathIncludes: '/api/check', kind: 'delay', ms: 4_000, times: 1 } });
    const before = checks();
    const started = Date.now();
    const slow = query(order.orderId, payment.id);
    await until(() => checks() > before);
    const others = await Promise.all(Array.from({ length: 10 }, () => query(order.orderId, payment.id)));
    for (const o of others) expect(o.status).toBe('PENDING');
    expect((await slow).status).toBe('PENDING');
    // WeChat cloud functions stop after 3 s unless configured otherwise: the check must give up first.
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(checks()).toBe(before + 1);
  });

  it('the active check settles an order whose notify never got through', async () => {
    const { order, payment } = await jumped();
    emulated(payment.id).notifyUrl = 'http://127.0.0.1:9/unreachable';
    expect((await query(order.orderId, payment.id)).status).toBe('PENDING'); // asked once: not paid yet
    await payer(payment.id, 'pay');
    expect(emulated(payment.id).deliveries[0]).toMatchObject({ accepted: false });
    const before = checks();
    expect((await query(order.orderId, payment.id)).status).toBe('PENDING'); // too soon to ask again
    expect(checks()).toBe(before);
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 5_500);
    const settled = await query(order.orderId, payment.id);
    expect(settled.status).toBe('PAID');
    expect(checks()).toBe(before + 1);
    expect(await s.order(order.orderId)).toMatchObject({ paidVia: 'query', transactionId: emulated(payment.id).transactionId });
  });

  it('cancel asks PAYJS first: a paid order whose notify was lost is not cancelled', async () => {
    const { order, payment } = await jumped();
    emulated(payment.id).notifyUrl = 'http://127.0.0.1:9/unreachable';
    expect((await query(order.orderId, payment.id)).status).toBe('PENDING'); // the next check is backed off
    await payer(payment.id, 'pay');
    const cancel = await s.call(alice, { action: 'cancelOrder', orderId: order.orderId });
    expect(cancel.ok ? null : cancel.error.code).toBe('ALREADY_PAID');
    expect(await s.order(order.orderId)).toMatchObject({ status: 'PAID', paidVia: 'query' });

    const unpaid = await jumped();
    await query(unpaid.order.orderId, unpaid.payment.id);
    const closesBefore = closes();
    const closed = await s.ok(alice, { action: 'cancelOrder', orderId: unpaid.order.orderId });
    expect(closed.order).toMatchObject({ status: 'CLOSED', closeReason: 'CANCELLED' });
    // Closed at PAYJS too: the payer can no longer pay it there.
    expect(closes()).toBe(closesBefore + 1);
    expect(emulated(unpaid.payment.id).status).toBe('CLOSED');
    expect((await payer(unpaid.payment.id, 'pay')).status).toBe(409);
  });

  it('cancel: PAYJS refuses the close because the order was paid meanwhile → check → PAID, ALREADY_PAID', async () => {
    const { order, payment } = await jumped();
    emulated(payment.id).notifyUrl = 'http://127.0.0.1:9/unreachable';
    await query(order.orderId, payment.id);
    await payer(payment.id, 'pay');
    // The check before closing still saw it unpaid: the payment landed between the check and the close.
    await fault('/api/check', unpaidAnswer(order, payment.id));
    const [c0, k0] = [checks(), closes()];
    const cancel = await s.call(alice, { action: 'cancelOrder', orderId: order.orderId });
    expect(cancel.ok ? null : cancel.error.code).toBe('ALREADY_PAID');
    expect([checks() - c0, closes() - k0]).toEqual([2, 1]);
    expect(await s.order(order.orderId)).toMatchObject({ status: 'PAID', paidVia: 'query', transactionId: emulated(payment.id).transactionId });
    expect(emulated(payment.id).status).toBe('PAID');
  });

  it('cancel: PAYJS unreachable for the close and the order unpaid → PROVIDER_ERROR, nothing changes; a retry cancels', async () => {
    const { order, payment } = await jumped();
    await query(order.orderId, payment.id);
    await fault('/api/close', { statusCode: 502, headers: {}, body: 'bad gateway' });
    const failed = await s.call(alice, { action: 'cancelOrder', orderId: order.orderId });
    expect(failed.ok ? null : failed.error.code).toBe('PROVIDER_ERROR');
    expect((await s.order(order.orderId)).status).toBe('PENDING');
    expect(emulated(payment.id).status).toBe('WAITING');
    expect((await s.ok(alice, { action: 'cancelOrder', orderId: order.orderId })).order).toMatchObject({ status: 'CLOSED', closeReason: 'CANCELLED' });
    expect(emulated(payment.id).status).toBe('CLOSED');
  });

  it("cancel never closes a PAYJS order the id does not tie to this order (another order's id, or none)", async () => {
    const other = await jumped();
    const { order, payment } = await jumped();
    // The right id is dropped on an unsigned refusal, then another order's id is recorded (no check: back-off).
    await fault('/api/check', unsignedRefusal);
    await query(order.orderId, payment.id);
    await query(order.orderId, other.payment.id);
    expect((await s.order(order.orderId)).payjsOrderId).toBe(other.payment.id);
    const k0 = closes();
    const cancelled = await s.ok(alice, { action: 'cancelOrder', orderId: order.orderId });
    expect(cancelled.order).toMatchObject({ status: 'CLOSED', closeReason: 'CANCELLED' });
    expect(closes()).toBe(k0);
    expect(emulated(other.payment.id).status).toBe('WAITING');
    expect((await s.order(other.order.orderId)).status).toBe('PENDING');

    const noId = await jumped();
    const [c1, k1] = [checks(), closes()];
    await s.ok(alice, { action: 'cancelOrder', orderId: noId.order.orderId });
    expect([checks() - c1, closes() - k1]).toEqual([0, 0]);
    expect(emulated(noId.payment.id).status).toBe('WAITING'); // unknown to us: PAYJS cannot be told
  });

  it('expiry closes the PAYJS order at PAYJS when its id is known; when that fails it stays PENDING until it succeeds', async () => {
    const { order, payment } = await jumped();
    await query(order.orderId, payment.id);
    const failing = await jumped();
    await query(failing.order.orderId, failing.payment.id);
    const k0 = closes();
    jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt + 1_000);
    expect(await query(order.orderId)).toMatchObject({ status: 'CLOSED', closeReason: 'EXPIRED' });
    expect(emulated(payment.id).status).toBe('CLOSED');
    expect(closes()).toBe(k0 + 1);

    jest.spyOn(Date, 'now').mockReturnValue(failing.order.expiresAt + 1_000);
    await fault('/api/close', { statusCode: 503, headers: {}, body: '' });
    // PAYJS gets no time_expire: a trade that could not be closed is still payable, so the order is kept.
    expect(await query(failing.order.orderId)).toMatchObject({ status: 'PENDING' });
    expect(await s.order(failing.order.orderId)).toMatchObject({ needsReconciliation: { attempts: 1 } });
    expect(emulated(failing.payment.id).status).toBe('WAITING');
    expect(closes()).toBe(k0 + 2);
    jest.spyOn(Date, 'now').mockReturnValue(failing.order.expiresAt + 62_000);
    expect(await s.runTimer()).toMatchObject({ ok: true });
    expect(await s.order(failing.order.orderId)).toMatchObject({ status: 'CLOSED', closeReason: 'EXPIRED' });
    expect((await s.order(failing.order.orderId)).needsReconciliation).toBeUndefined();
    expect(emulated(failing.payment.id).status).toBe('CLOSED');
  });

  it('a hint PAYJS does not know is dropped, so the right one can be recorded; the back-off holds', async () => {
    const { order, payment } = await jumped();
    emulated(payment.id).notifyUrl = 'http://127.0.0.1:9/unreachable';
    const before = checks();
    expect((await query(order.orderId, UNKNOWN_PAYJS_ID)).status).toBe('PENDING');
    expect(checks()).toBe(before + 1);
    expect((await s.order(order.orderId)).payjsOrderId).toBeUndefined();
    await payer(payment.id, 'pay');
    expect((await query(order.orderId, payment.id)).status).toBe('PENDING'); // recorded; the next check waits
    expect(checks()).toBe(before + 1);
    expect(await s.order(order.orderId)).toMatchObject({ payjsOrderId: payment.id, queryCount: 1 });
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 5_500);
    expect((await query(order.orderId, payment.id)).status).toBe('PAID');
    expect(checks()).toBe(before + 2);
  });

  it('an unsigned failure answer drops the id too; reporting it again does not bring the next check forward', async () => {
    const { order, payment } = await jumped();
    await fault('/api/check', unsignedRefusal);
    const before = checks();
    await query(order.orderId, payment.id);
    expect((await s.order(order.orderId)).payjsOrderId).toBeUndefined();
    for (let i = 0; i < 5; i++) await query(order.orderId, payment.id);
    expect(checks()).toBe(before + 1);
    expect((await s.order(order.orderId)).payjsOrderId).toBe(payment.id);
  });

  it('alternating unknown and right hints cannot outrun the back-off', async () => {
    const { order, payment } = await jumped();
    const before = checks();
    for (let i = 0; i < 10; i++) {
      expect((await query(order.orderId, i % 2 === 0 ? UNKNOWN_PAYJS_ID : payment.id)).status).toBe('PENDING');
    }
    expect(checks() - before).toBe(1);
    const t0 = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(t0 + 5_500);
    for (let i = 0; i < 10; i++) await query(order.orderId, i % 2 === 0 ? UNKNOWN_PAYJS_ID : payment.id);
    expect(checks() - before).toBe(2); // the recorded (right) id, asked once when due
    expect((await s.order(order.orderId)).payjsOrderId).toBe(payment.id);
  });
});
