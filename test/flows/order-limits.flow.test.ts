import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';

/** Unpaid orders hold stock, so one user may hold only MAX_PENDING_ORDERS of them at once. */
describe('limits on what one user can hold', () => {
  let s: TestSandbox;
  beforeAll(async () => {
    s = await startTestSandbox({ MAX_PENDING_ORDERS: '2' });
  });
  afterAll(() => s.close());

  const order = (openid: string) => s.call(openid, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] });

  it('refuses a third unpaid order, takes no stock for it, and allows one again after a cancel', async () => {
    const a = await order('u1');
    await order('u1');
    const stock = await s.stock('sku-mug');
    const third = await order('u1');
    expect(third.ok ? null : third.error.code).toBe('TOO_MANY_PENDING_ORDERS');
    expect(await s.stock('sku-mug')).toBe(stock);
    // Someone else is not affected.
    expect((await order('u2')).ok).toBe(true);
    if (!a.ok) throw new Error('first order failed');
    await s.ok('u1', { action: 'cancelOrder', orderId: a.data.order.orderId });
    expect((await order('u1')).ok).toBe(true);
  });

  it('expired orders do not count', async () => {
    const first = await order('u3');
    await order('u3');
    if (!first.ok) throw new Error('order failed');
    jest.spyOn(Date, 'now').mockReturnValue(first.data.order.expiresAt + 1);
    try {
      expect((await order('u3')).ok).toBe(true);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('caps the units in one order', async () => {
    const r = await s.call('u4', { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 99 }, { skuId: 'sku-drip-bags', quantity: 99 }, { skuId: 'sku-filter-papers', quantity: 3 }] });
    expect(r.ok ? null : r.error).toEqual({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('at most 200 units') });
  });
});
