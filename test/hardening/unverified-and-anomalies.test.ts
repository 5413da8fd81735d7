import type { PayData } from '../../typings/checkout';
import { startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';

/**
 * Orders whose provider state is not known, and verified reports that do not fit, through the local
 * host and the v3 emulator (items 1–3 of issue 11).
 */
let s: TestSandbox;
const alice = 'openid-alice-hardening';
beforeAll(async () => {
  s = await startTestSandbox();
});
afterAll(() => s.close());
afterEach(async () => {
  jest.restoreAllMocks();
  await s.post('/sandbox/api/faults', { provider: 'wxpay-v3', clear: true });
});

const newOrder = async (skuId = 'sku-gift-card', quantity = 1) => (await s.ok(alice, { action: 'createOrder', items: [{ skuId, quantity }] })).order;
const payWechat = async (orderId: string) => (await s.ok(alice, { action: 'pay', orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
const emulated = (outTradeNo: string) => s.emulators.wxpayV3.list().find((p) => p.outTradeNo === outTradeNo)!;
/** A 200 answer without WeChat Pay's signature: what a rotated, not yet known, key looks like to us. */
const unverifiable = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"trade_state":"NOTPAY"}' };

describe('an expired order whose trade state cannot be verified', () => {
  it('is kept PENDING and flagged, never closed; the timer run settles it once the provider answers', async () => {
    const stockBefore = await s.stock('sku-gift-card');
    const order = await newOrder();
    const paid = await payWechat(order.orderId);
    // The payer pays, but no notification gets through (WeChat Pay gives up after ~24 h).
    emulated(order.outTradeNo).notifyUrl = 'http://127.0.0.1:9/unreachable';
    expect((await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' })).status).toBe(200);
    expect(emulated(order.outTradeNo).status).toBe('PAID');

    await s.post('/sandbox/api/faults', { provider: 'wxpay-v3', fault: { pathIncludes: '/out-trade-no/', kind: 'reply', reply: unverifiable, times: 100 } });
    jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt + 1_000);
    const seen = (await s.ok(alice, { action: 'queryOrder', orderId: order.orderId })).order;
    expect(seen.status).toBe('PENDING');
    const doc = await s.order(order.orderId);
    expect(doc.needsReconciliation).toMatchObject({ attempts: 1, lastError: expect.stringContaining('verification'), cause: 'ANSWER_REJECTED' });
    expect(doc.paidAfterClose).toBeUndefined();
    // Still holding its stock, not payable, reported by the timer run.
    expect(await s.stock('sku-gift-card')).toBe(stockBefore - 1);
    const again = await s.call(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
    expect(again.ok ? null : again.error.code).toBe('ORDER_CLOSED');
    jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt + 62_000);
    expect(await s.runTimer()).toMatchObject({ ok: true, data: { unverified: expect.arrayContaining([order.outTradeNo]) } });
    expect((await s.order(order.orderId)).needsReconciliation.attempts).toBe(2);

    await s.post('/sandbox/api/faults', { provider: 'wxpay-v3', clear: true });
    jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt + 124_000);
    expect(await s.runTimer()).toMatchObject({ ok: true, data: { paid: 1 } });
    const settled = await s.order(order.orderId);
    expect(settled).toMatchObject({ status: 'PAID', paidVia: 'query' });
    expect(settled.needsReconciliation).toBeUndefined();
    expect(await s.stock('sku-gift-card')).toBe(stockBefore - 1);
  });

  it('an unpaid one is closed once its state is verified, its stock given back once', async () => {
    const stockBefore = await s.stock('sku-gift-card');
    const order = await newOrder();
    await payWechat(order.orderId);
    await s.post('/sandbox/api/faults', { provider: 'wxpay-v3', fault: { pathIncludes: '/close', kind: 'reply', reply: { statusCode: 500, headers: {}, body: '' }, times: 100 } });
    jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt + 1_000);
    await s.runTimer();
    expect((await s.order(order.orderId)).status).toBe('PENDING');
    expect(emulated(order.outTradeNo).status).toBe('WAITING');
    await s.post('/sandbox/api/faults', { provider: 'wxpay-v3', clear: true });
    jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt + 62_000);
    await s.runTimer();
    expect(await s.order(order.orderId)).toMatchObject({ status: 'CLOSED', closeReason: 'EXPIRED', stockReleased: true });
    expect(emulated(order.outTradeNo).status).toBe('CLOSED');
    expect(await s.stock('sku-gift-card')).toBe(stockBefore);
  });
});

describe('a verified report that does not match its order', () => {
  it('is refused and recorded on the order as a payment anomaly, once per distinct report', async () => {
    const order = await newOrder('sku-mug');
    const paid = await payWechat(order.orderId);
    // The platform charges another amount (a validly signed, encrypted notification).
    emulated(order.outTradeNo).amountFen = order.amountFen + 1;
    expect((await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' })).status).toBe(200);
    // Redelivered (refused with 4xx each time): the anomaly is there once.
    const until = Date.now() + 3000;
    while (emulated(order.outTradeNo).deliveries.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const doc = await s.order(order.orderId);
    expect(doc.status).toBe('PENDING');
    expect(doc.paymentAnomalies).toEqual([{ at: expect.any(Number), via: 'notify', state: 'SUCCESS', amountFen: order.amountFen + 1, mchid: expect.any(String), appid: expect.any(String), transactionId: expect.any(String) }]);
    // The active query reports the same trade: the same anomaly, not a second one.
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 60_000);
    await s.ok(alice, { action: 'queryOrder', orderId: order.orderId });
    expect((await s.order(order.orderId)).paymentAnomalies).toHaveLength(1);
  });
});

describe('time_expire margin and prepay reuse', () => {
  it('an order with less than 90 s left is not placed at WeChat Pay', async () => {
    const order = await newOrder();
    const before = s.emulators.wxpayV3.received.length;
    jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt - 80_000);
    const r = await s.call(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
    expect(r.ok ? null : r.error.code).toBe('ORDER_CLOSED');
    expect(s.emulators.wxpayV3.received.slice(before).some((q) => q.path.endsWith('/jsapi'))).toBe(false);
    expect((await s.order(order.orderId)).status).toBe('CLOSED');
  });

  it('the same prepay_id coming back keeps its first validity', async () => {
    const order = await newOrder();
    const first = await payWechat(order.orderId);
    const stored = (await s.order(order.orderId)).payment;
    // Nearly used up (as if issued long ago): the next pay re-places, WeChat Pay answers the same prepay_id.
    const nearlyGone = Date.now() + 30_000;
    await s.db.collection('orders').doc(order.orderId).update({ data: { payment: s.db.command.set({ ...stored, reusableUntil: nearlyGone }) } });
    const second = await payWechat(order.orderId);
    expect(second.payment.package).toBe(first.payment.package);
    expect((await s.order(order.orderId)).payment).toMatchObject({ prepayId: stored.prepayId, reusableUntil: nearlyGone, placedAt: stored.placedAt });
  });
});

it('an order paid normally is unaffected (notification path)', async () => {
  const order = await newOrder();
  const paid = await payWechat(order.orderId);
  await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' });
  expect((await waitForStatus(s, alice, order.orderId, 'PAID')).status).toBe('PAID');
  expect((await s.order(order.orderId)).paymentAnomalies).toBeUndefined();
});
