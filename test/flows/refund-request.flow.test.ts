import type { PayData } from '../../typings/checkout';
import { startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';

/** The payer's side of a refund: asking for one on their own paid order. */
describe('requestRefund', () => {
  let s: TestSandbox;
  beforeAll(async () => {
    s = await startTestSandbox({});
  });
  afterAll(() => s.close());

  async function paidOrder(openid: string) {
    const { order } = await s.ok(openid, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] });
    const paid = (await s.ok(openid, { action: 'pay', orderId: order.orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
    await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' });
    return waitForStatus(s, openid, order.orderId, 'PAID');
  }
  const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error?.code);

  it('records one open request on a paid order; a second is refused while it is open', async () => {
    const order = await paidOrder('payer-1');
    const [a, b] = await Promise.all([
      s.call('payer-1', { action: 'requestRefund', orderId: order.orderId, reason: '  买错了  ' }),
      s.call('payer-1', { action: 'requestRefund', orderId: order.orderId, reason: '不想要了' }),
    ]);
    expect([code(a), code(b)].sort()).toEqual(['REFUND_REQUEST_OPEN', 'ok']);
    const { order: after } = await s.ok('payer-1', { action: 'queryOrder', orderId: order.orderId });
    expect(after.refundRequest).toEqual({ reason: expect.stringMatching(/^(买错了|不想要了)$/), requestedAt: expect.any(Number), status: 'OPEN' });
    expect(after.status).toBe('PAID');
  });

  it('refuses an unpaid order, someone else\'s order and a bad reason, writing nothing', async () => {
    const { order } = await s.ok('payer-2', { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] });
    expect(code(await s.call('payer-2', { action: 'requestRefund', orderId: order.orderId, reason: '买错了' }))).toBe('ORDER_NOT_PAID');
    const paid = await paidOrder('payer-3');
    expect(code(await s.call('payer-2', { action: 'requestRefund', orderId: paid.orderId, reason: '买错了' }))).toBe('NOT_FOUND');
    expect(code(await s.call('payer-3', { action: 'requestRefund', orderId: paid.orderId, reason: '' }))).toBe('INVALID_ARGUMENT');
    expect(code(await s.call('payer-3', { action: 'requestRefund', orderId: paid.orderId, reason: 'x'.repeat(81) }))).toBe('INVALID_ARGUMENT');
    expect((await s.order(paid.orderId)).refundRequest).toBeUndefined();
  });
});
