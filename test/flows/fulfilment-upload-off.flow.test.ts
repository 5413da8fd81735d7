import type { PayData } from '../../typings/checkout';
import { postJson, startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';

/** SHIPPING_INFO_UPLOAD=off: shipping is recorded and receipt taken on the payer's word, nothing sent to WeChat. */
describe('fulfilment with SHIPPING_INFO_UPLOAD=off', () => {
  let s: TestSandbox;
  const alice = 'openid-alice';
  const staff = 'openid-staff';
  beforeAll(async () => {
    s = await startTestSandbox({ SHIPPING_INFO_UPLOAD: 'off', MERCHANT_OPENIDS: staff });
  });
  afterAll(() => s.close());

  async function paidOrder(skuId: string) {
    const { order } = await s.ok(alice, { action: 'createOrder', items: [{ skuId, quantity: 1 }] });
    const paid = (await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
    await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' });
    return waitForStatus(s, alice, order.orderId, 'PAID');
  }

  it('virtual goods are marked shipped without an upload', async () => {
    const order = await paidOrder('sku-brew-guide');
    const until = Date.now() + 3000;
    let fulfilment = order.fulfilment;
    while (fulfilment?.state !== 'SHIPPED' && Date.now() < until) fulfilment = (await s.order(order.orderId)).fulfilment;
    expect(fulfilment).toMatchObject({ state: 'SHIPPED', shipping: { logistics: 'VIRTUAL', upload: 'OFF' } });
    expect(s.emulators.shipping.list()).toEqual([]);
  });

  it('the merchant ships and the payer confirms receipt, once, with nothing at WeChat', async () => {
    const order = await paidOrder('sku-mug');
    const shipped = await postJson(`${s.url}/api/merchant`, { action: 'ship', orderId: order.orderId, logistics: 'EXPRESS', trackingNo: 'SF1', expressCompany: 'SF' }, { 'X-WX-OPENID': staff });
    expect(shipped.body).toMatchObject({ ok: true, data: { order: { fulfilment: { state: 'SHIPPED', shipping: { upload: 'OFF', trackingNo: 'SF1' } } } } });
    const [a, b] = await Promise.all([s.ok(alice, { action: 'confirmReceipt', orderId: order.orderId }), s.ok(alice, { action: 'confirmReceipt', orderId: order.orderId })]);
    expect(a.order.fulfilment).toMatchObject({ state: 'RECEIVED', receivedAt: expect.any(Number) });
    expect(b.order.fulfilment?.receivedAt).toBe(a.order.fulfilment?.receivedAt);
    expect(s.emulators.shipping.list()).toEqual([]);
  });
});
