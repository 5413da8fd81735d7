import type { Order, PayData } from '../../typings/checkout';
import type { EmulatedPayment } from '../../scripts/local-host/emulators/types';
import { startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';
import { merchantCaller, STAFF, until } from './refund-flow';

/**
 * PAYJS refunds through the local host: PAYJS refunds only the whole order, by its own order id, and a
 * refund is done when PAYJS answers it (it sends no refund notification).
 */
describe('refunds, PAYJS', () => {
  let s: TestSandbox;
  const alice = 'openid-alice';
  const m = merchantCaller(() => s);

  beforeAll(async () => {
    s = await startTestSandbox({ MERCHANT_OPENIDS: STAFF });
  });
  afterAll(() => s.close());

  const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error?.code);
  const refundsAtPayjs = (o: Pick<Order, 'outTradeNo'>) => s.emulators.payjs.listRefunds().filter((r) => r.outTradeNo === o.outTradeNo);
  const refundCalls = () => s.emulators.payjs.received.filter((r) => r.path === '/api/refund').length;

  /** Jumped to the PAYJS mini-program: the emulated payment waits for the payer. */
  async function jumped(): Promise<{ order: Order; payment: EmulatedPayment }> {
    const { order } = await s.ok(alice, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] });
    const paid = (await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'payjs' })) as Extract<PayData, { method: 'payjs' }>;
    const r = await s.post('/sandbox/api/payjs/jump', { extraData: paid.payjs.extraData });
    expect(r.status).toBe(200);
    return { order, payment: r.body.payment as EmulatedPayment };
  }
  async function paidOrder(): Promise<Order> {
    const { order, payment } = await jumped();
    expect((await s.post(`/sandbox/api/payments/${payment.id}/pay`, {})).status).toBe(200);
    return waitForStatus(s, alice, order.orderId, 'PAID');
  }

  it('a partial refund is refused before anything is sent or kept', async () => {
    const order = await paidOrder();
    const calls = refundCalls();
    expect(code(await m.call(STAFF, { action: 'refund', orderId: order.orderId, amountFen: 100, requestId: 'part' }))).toBe('REFUND_UNAVAILABLE');
    expect(refundCalls()).toBe(calls);
    const doc = await s.order(order.orderId);
    expect(doc.refunds).toBeUndefined();
    expect(doc.status).toBe('PAID');
  });

  it('the whole order: done when PAYJS answers, the order REFUNDED; the same requestId concurrently is one refund', async () => {
    const order = await paidOrder();
    const answers = await Promise.all(Array.from({ length: 4 }, () => m.call(STAFF, { action: 'refund', orderId: order.orderId, amountFen: order.amountFen, requestId: 'whole' })));
    expect(answers.map(code)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(new Set(answers.map((a) => (a.ok ? a.data.refund.refundId : ''))).size).toBe(1);
    expect(refundsAtPayjs(order)).toHaveLength(1);
    const after = await until(async () => {
      const { order: o } = await m.ok({ action: 'getOrder', orderId: order.orderId });
      return o.status === 'REFUNDED' ? o : undefined;
    });
    expect(after).toMatchObject({ refundedFen: order.amountFen, refunds: [expect.objectContaining({ status: 'SUCCESS', requestedBy: 'merchant' })] });
    expect((await s.ok(alice, { action: 'queryOrder', orderId: order.orderId })).order.status).toBe('REFUNDED');
    expect(code(await m.call(STAFF, { action: 'refund', orderId: order.orderId, amountFen: order.amountFen, requestId: 'again' }))).toBe('ORDER_NOT_PAID');
  });

  it("a payer's request approved: the whole order goes back", async () => {
    const order = await paidOrder();
    await s.ok(alice, { action: 'requestRefund', orderId: order.orderId, reason: '不想要了' });
    const approved = await m.ok({ action: 'resolveRefundRequest', orderId: order.orderId, approve: true });
    expect(approved.refund).toMatchObject({ amountFen: order.amountFen });
    expect(approved.order.refundRequest?.status).toBe('APPROVED');
    expect(refundsAtPayjs(order)).toHaveLength(1);
  });

  it('a payment that lands on a closed order is refunded in full automatically', async () => {
    const { order, payment } = await jumped();
    // Closed here while the payer paid in the PAYJS mini-program (set up directly), then PAYJS notifies.
    await s.db.collection('orders').doc(order.orderId).update({ data: { status: 'CLOSED', closedAt: Date.now(), closeReason: 'EXPIRED', stockReleased: true } });
    expect((await s.post(`/sandbox/api/payments/${payment.id}/pay`, {})).status).toBe(200);
    const doc = await until(async () => {
      const d = await s.order(order.orderId);
      return d.refundedFen === order.amountFen ? d : undefined;
    });
    expect(doc).toMatchObject({ status: 'CLOSED', paidAfterClose: expect.objectContaining({ amountFen: order.amountFen }) });
    expect(doc.refunds).toEqual([expect.objectContaining({ requestedBy: 'auto', status: 'SUCCESS', amountFen: order.amountFen })]);
    expect(refundsAtPayjs(order)).toHaveLength(1);
  });
});
