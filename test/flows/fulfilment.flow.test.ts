import type { Order, PayData, Result } from '../../typings/checkout';
import type { MerchantData, ShipEvent } from '../../typings/merchant';
import { membership, MEMBERSHIPS } from '../../cloudfunctions/common/fulfilment/membership';
import type { OrderContext } from '../../cloudfunctions/common/orders/context';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS, runFulfilment } from '../../cloudfunctions/common/orders/fulfil';
import type { OrderDoc } from '../../cloudfunctions/common/orders/model';
import { startContext } from '../../cloudfunctions/common/start';
import * as cloud from 'wx-server-sdk';
import { postJson, replay, startRecordingProxy, startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';

/**
 * Fulfilment after PAID, through the local host: the hooks' outbox, virtual goods shipped at once,
 * shipping uploaded to the 发货信息管理 emulator (with its re-shipping limit), and receipt confirmed by
 * asking it. WeChat Pay v3, the sandbox default.
 */
describe('fulfilment', () => {
  let s: TestSandbox;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  /** While true, notifications are recorded but not delivered (payNotify never sees them). */
  let hold = false;
  const alice = 'openid-alice';
  const bob = 'openid-bob';
  const staff = 'openid-staff';

  beforeAll(async () => {
    proxy = await startRecordingProxy({ target: () => (hold ? `${s.url}/held` : `${s.url}/http/payNotify`) });
    s = await startTestSandbox({ WXPAY_NOTIFY_URL: proxy.url, MERCHANT_OPENIDS: staff });
  });
  afterAll(async () => {
    await s.close();
    await proxy.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
    hold = false;
  });

  /** A context like the functions build: same database, same cloud.openapi. */
  const ctx = (): OrderContext => startContext(s.db, process.env, undefined, cloud.openapi) as OrderContext;
  const merchant = async <A extends keyof MerchantData>(event: { action: A } & Record<string, unknown>, openid = staff) =>
    (await postJson(`${s.url}/api/merchant`, event, { 'X-WX-OPENID': openid })).body as Result<MerchantData[A]>;
  /** The merchant's `ship` action: the order, or the error code. */
  async function ship(orderId: string, req: Omit<ShipEvent, 'action' | 'orderId'>) {
    const r = await merchant({ action: 'ship', orderId, ...req });
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.data.order;
  }
  const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code ?? String(e));
  const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error?.code);
  const uploadsOf = (outTradeNo: string) => s.emulators.shipping.list().find((r) => r.outTradeNo === outTradeNo)?.uploads ?? [];

  async function payInWallet(openid: string, skuId: string, quantity = 1): Promise<Order> {
    const { order } = await s.ok(openid, { action: 'createOrder', items: [{ skuId, quantity }] });
    const paid = (await s.ok(openid, { action: 'pay', orderId: order.orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
    await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' });
    return order;
  }
  async function paidOrder(openid: string, skuId: string, quantity = 1): Promise<Order> {
    const order = await payInWallet(openid, skuId, quantity);
    return waitForStatus(s, openid, order.orderId, 'PAID');
  }
  /** Waits until the order's fulfilment task leaves `pending` with the given number of attempts. */
  async function waitForTask(orderId: string, pred: (d: Record<string, any>) => boolean, ms = 3000): Promise<Record<string, any>> {
    const until = Date.now() + ms;
    for (;;) {
      const d = await s.order(orderId);
      if (pred(d) || Date.now() > until) return d;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('goods: paid means UNSHIPPED, the hook ran once, nothing uploaded until the merchant ships', async () => {
    const order = await paidOrder(alice, 'sku-mug');
    const doc = await waitForTask(order.orderId, (d) => d.fulfilmentTask?.state === 'done');
    expect(doc.fulfilmentTask).toMatchObject({ state: 'done', types: ['goods'], done: ['goods'], attempts: 1 });
    const { order: seen } = await s.ok(alice, { action: 'queryOrder', orderId: order.orderId });
    expect(seen.fulfilment).toEqual({ state: 'UNSHIPPED' });
    // The payer's view carries no outbox details.
    expect(seen).not.toHaveProperty('fulfilmentTask');
    expect(uploadsOf(order.outTradeNo)).toHaveLength(0);
  });

  it('virtual goods are shipped at once, uploaded as logistics type 3 for the payer', async () => {
    const order = await paidOrder(alice, 'sku-brew-guide', 2);
    const doc = await waitForTask(order.orderId, (d) => d.fulfilment?.state === 'SHIPPED');
    expect(doc.fulfilment).toMatchObject({ state: 'SHIPPED', shipping: { logistics: 'VIRTUAL', upload: 'UPLOADED', itemDesc: '手冲咖啡电子指南（PDF）*2' }, shippedAt: expect.any(Number) });
    const uploads = uploadsOf(order.outTradeNo);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({ logisticsType: 3, deliveryMode: 1, shippingList: [{ item_desc: '手冲咖啡电子指南（PDF）*2' }] });
    expect(uploads[0].uploadTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/);
    const record = s.emulators.shipping.list().find((r) => r.outTradeNo === order.outTradeNo);
    expect(record).toMatchObject({ openid: alice, orderState: 2, transactionId: doc.transactionId });
  });

  it('the hooks run once under duplicate and concurrent notifications and queries', async () => {
    const run = jest.spyOn(membership, 'run');
    hold = true;
    const seenBefore = proxy.seen.length;
    const order = await payInWallet(bob, 'sku-club-30d');
    while (proxy.seen.length === seenBefore) await new Promise((r) => setTimeout(r, 10));
    const note = proxy.seen[seenBefore];
    // Queries are due too: the order's first active query is 10 s after placing it.
    const later = Date.now() + 15_000;
    jest.spyOn(Date, 'now').mockImplementation(() => later);
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () => replay(`${s.url}/http/payNotify`, note)),
      ...Array.from({ length: 4 }, () => s.ok(bob, { action: 'queryOrder', orderId: order.orderId })),
      s.runTimer(),
    ]);
    for (const a of answers.slice(0, 6) as { status: number }[]) expect(a.status).toBeLessThan(300);
    hold = false;
    const doc = await waitForTask(order.orderId, (d) => d.fulfilmentTask?.state === 'done' && d.fulfilment?.state === 'SHIPPED');
    expect(doc.status).toBe('PAID');
    expect(doc.fulfilmentTask).toMatchObject({ state: 'done', attempts: 1, done: ['membership'] });
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0][1]).toMatchObject({ orderId: order.orderId, openid: bob, items: [{ skuId: 'sku-club-30d', quantity: 1 }] });
    const { data: records } = await s.db.collection(MEMBERSHIPS).where({ _openid: bob }).get();
    expect(records).toEqual([expect.objectContaining({ _id: order.orderId, days: 30 })]);
    expect(uploadsOf(order.outTradeNo)).toHaveLength(1);
    // More notifications and timer runs later change nothing.
    await replay(`${s.url}/http/payNotify`, note);
    await s.runTimer();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('a hook that fails twice is retried by the timer with back-off, then succeeds once', async () => {
    const run = jest.spyOn(membership, 'run').mockRejectedValueOnce(new Error('membership service down')).mockRejectedValueOnce(new Error('still down'));
    const order = await paidOrder(alice, 'sku-club-30d');
    let doc = await waitForTask(order.orderId, (d) => d.fulfilmentTask?.attempts === 1 && d.fulfilmentTask?.lastError);
    expect(doc.fulfilmentTask).toMatchObject({ state: 'pending', attempts: 1, lastError: 'membership service down' });
    expect(doc.fulfilmentTask.nextAttemptAt - Date.now()).toBeGreaterThan(RETRY_DELAYS_MS[0] - 5_000);
    expect(doc.fulfilment).toEqual({ state: 'UNSHIPPED' });
    // Not due yet: the timer leaves it alone.
    await s.runTimer();
    expect(run).toHaveBeenCalledTimes(1);

    const t0 = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => t0 + RETRY_DELAYS_MS[0] + 1000);
    await s.runTimer();
    doc = await s.order(order.orderId);
    expect(doc.fulfilmentTask).toMatchObject({ state: 'pending', attempts: 2, lastError: 'still down' });
    jest.spyOn(Date, 'now').mockImplementation(() => t0 + RETRY_DELAYS_MS[0] + RETRY_DELAYS_MS[1] + 2000);
    await s.runTimer();
    doc = await s.order(order.orderId);
    expect(doc.fulfilmentTask).toMatchObject({ state: 'done', attempts: 3 });
    expect(doc.fulfilmentTask).not.toHaveProperty('lastError');
    expect(doc.fulfilment.state).toBe('SHIPPED');
    expect(doc.status).toBe('PAID');
    expect(run).toHaveBeenCalledTimes(3);
    const { data } = await s.db.collection(MEMBERSHIPS).where({ _id: order.orderId }).get();
    expect(data).toHaveLength(1);
  });

  it('concurrent runners claim a due attempt once', async () => {
    const slow = async () => {
      await new Promise((r) => setTimeout(r, 40));
    };
    const run = jest.spyOn(membership, 'run').mockRejectedValueOnce(new Error('first try fails')).mockImplementation(slow);
    const order = await paidOrder(alice, 'sku-club-30d');
    await waitForTask(order.orderId, (d) => d.fulfilmentTask?.lastError);
    // A clock that moves, as it does between instances.
    let due = Date.now() + RETRY_DELAYS_MS[0] + 1000;
    jest.spyOn(Date, 'now').mockImplementation(() => due++);
    const c = ctx();
    // Several instances that read the same due order at once, and the timer.
    const seen = (await s.order(order.orderId)) as OrderDoc;
    await Promise.all([s.runTimer(), s.runTimer(), ...Array.from({ length: 4 }, () => runFulfilment(c, seen))]);
    expect(run).toHaveBeenCalledTimes(2);
    expect((await s.order(order.orderId)).fulfilmentTask).toMatchObject({ state: 'done', attempts: 2 });
  });

  it('a hook that keeps failing ends FAILED, visible on the order, the payment untouched', async () => {
    const run = jest.spyOn(membership, 'run').mockRejectedValue(new Error('no such member plan'));
    const order = await paidOrder(bob, 'sku-club-30d');
    await waitForTask(order.orderId, (d) => d.fulfilmentTask?.attempts === 1 && d.fulfilmentTask?.lastError);
    let t = Date.now();
    for (const delay of RETRY_DELAYS_MS) {
      t += delay + 1000;
      jest.spyOn(Date, 'now').mockImplementation(() => t);
      await s.runTimer();
    }
    const doc = await s.order(order.orderId);
    expect(doc.fulfilmentTask).toMatchObject({ state: 'failed', attempts: MAX_ATTEMPTS, lastError: 'no such member plan' });
    expect(run).toHaveBeenCalledTimes(MAX_ATTEMPTS);
    expect(doc).toMatchObject({ status: 'PAID', paidAt: expect.any(Number), fulfilment: { state: 'UNSHIPPED' } });
    // Given up: later runs do not call it again.
    t += 24 * 3600_000;
    await s.runTimer();
    expect(run).toHaveBeenCalledTimes(MAX_ATTEMPTS);
    const { order: seen } = await s.ok(bob, { action: 'queryOrder', orderId: order.orderId });
    expect(seen.status).toBe('PAID');
  });

  describe('shipping goods', () => {
    it('refuses EXPRESS without a tracking number or carrier, and uploads nothing', async () => {
      const order = await paidOrder(alice, 'sku-mug');
      expect(await codeOf(ship(order.orderId, { logistics: 'EXPRESS', expressCompany: 'SF' }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(ship(order.orderId, { logistics: 'EXPRESS', trackingNo: 'SF1234567890' }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(ship(order.orderId, { logistics: 'PICKUP', trackingNo: 'SF1234567890' }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(ship(order.orderId, { logistics: 'VIRTUAL', itemDesc: 'x'.repeat(121) }))).toBe('INVALID_ARGUMENT');
      expect(uploadsOf(order.outTradeNo)).toHaveLength(0);
      expect((await s.order(order.orderId)).fulfilment).toEqual({ state: 'UNSHIPPED' });
    });

    it('ships, ignores a retry of the same shipping, allows one re-shipping and refuses a third', async () => {
      const order = await paidOrder(alice, 'sku-mug', 2);
      const first = { logistics: 'EXPRESS', trackingNo: 'SF1234567890', expressCompany: 'SF' } as const;
      // Sent three times at once (a double tap, a retry): one upload.
      const [shipped] = await Promise.all([ship(order.orderId, first), ship(order.orderId, first), ship(order.orderId, first)]);
      expect(shipped.fulfilment).toMatchObject({ state: 'SHIPPED', shipping: { ...first, itemDesc: '陶瓷马克杯*2', upload: 'UPLOADED' } });
      const uploads = uploadsOf(order.outTradeNo);
      expect(uploads).toHaveLength(1);
      expect(uploads[0]).toMatchObject({ logisticsType: 1, shippingList: [{ tracking_no: 'SF1234567890', express_company: 'SF', item_desc: '陶瓷马克杯*2' }] });
      // A retry after a lost answer: no second upload.
      await ship(order.orderId, first);
      expect(uploadsOf(order.outTradeNo)).toHaveLength(1);

      const second = await ship(order.orderId, { logistics: 'EXPRESS', trackingNo: 'YT9876543210', expressCompany: 'YTO' });
      expect(second.fulfilment?.shipping).toMatchObject({ trackingNo: 'YT9876543210', reshipped: true });
      expect(uploadsOf(order.outTradeNo)).toHaveLength(2);
      expect(await codeOf(ship(order.orderId, { logistics: 'PICKUP' }))).toBe('RESHIP_LIMIT_REACHED');
      expect(uploadsOf(order.outTradeNo)).toHaveLength(2);
      expect((await s.order(order.orderId)).fulfilment.shipping.trackingNo).toBe('YT9876543210');
    });

    it('WeChat refusing an upload changes nothing, and the shipping can be sent again', async () => {
      const order = await paidOrder(alice, 'sku-mug');
      await ship(order.orderId, { logistics: 'LOCAL_DELIVERY' });
      const before = await s.order(order.orderId);
      // A clock behind the first upload: WeChat refuses an upload_time that is not later (268485216).
      const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const back = Date.now() - 3600_000;
      jest.spyOn(Date, 'now').mockImplementation(() => back);
      const refused = await ship(order.orderId, { logistics: 'PICKUP' }).catch((e) => e);
      expect(refused).toMatchObject({ code: 'SHIPPING_UPLOAD_FAILED' });
      expect(error.mock.calls.some((c) => JSON.stringify(c).includes('268485216'))).toBe(true);
      jest.restoreAllMocks();
      const after = await s.order(order.orderId);
      expect(after.fulfilment).toEqual(before.fulfilment);
      expect(after.shipState).toMatchObject({ count: 1 });
      expect(uploadsOf(order.outTradeNo)).toHaveLength(1);
      // The refused attempt did not use up the re-shipping.
      expect((await ship(order.orderId, { logistics: 'PICKUP' })).fulfilment?.shipping).toMatchObject({ logistics: 'PICKUP', reshipped: true });
    });

    it('an unpaid order is not shippable', async () => {
      const { order } = await s.ok(alice, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] });
      expect(await codeOf(ship(order.orderId, { logistics: 'PICKUP' }))).toBe('NOT_SHIPPABLE');
    });

    it('only staff ship, and the merchant sees each order\'s fulfilment and hook state', async () => {
      const order = await paidOrder(alice, 'sku-mug');
      expect(code(await merchant({ action: 'ship', orderId: order.orderId, logistics: 'PICKUP' }, alice))).toBe('FORBIDDEN');
      expect(code(await merchant({ action: 'ship', orderId: order.orderId, logistics: 'DRONE' }))).toBe('INVALID_ARGUMENT');
      expect(uploadsOf(order.outTradeNo)).toHaveLength(0);
      const seen = await merchant({ action: 'getOrder', orderId: order.orderId });
      expect(seen.ok && seen.data.order).toMatchObject({ fulfilment: { state: 'UNSHIPPED' }, fulfilmentTask: { state: 'DONE', types: ['goods'], done: ['goods'], attempts: 1 } });
    });

    it('a refunded order is not shippable, and WeChat reports it refunded', async () => {
      const order = await paidOrder(alice, 'sku-mug');
      await ship(order.orderId, { logistics: 'PICKUP' });
      const r = await merchant({ action: 'refund', orderId: order.orderId, amountFen: order.amountFen, requestId: `full-${order.orderId.slice(0, 8)}` });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      await s.post(`/sandbox/api/refunds/wxpay-v3/${r.data.refund.outRefundNo}/succeed`, {});
      const refunded = await waitForStatus(s, alice, order.orderId, 'REFUNDED');
      expect(refunded.fulfilment).toMatchObject({ state: 'SHIPPED', endedAt: expect.any(Number) });
      expect(await codeOf(ship(order.orderId, { logistics: 'EXPRESS', trackingNo: 'SF9', expressCompany: 'SF' }))).toBe('NOT_SHIPPABLE');
      expect(code(await s.call(alice, { action: 'confirmReceipt', orderId: order.orderId }))).toBe('NOT_SHIPPABLE');
      expect(uploadsOf(order.outTradeNo)).toHaveLength(1);
      expect(s.emulators.shipping.list().find((x) => x.outTradeNo === order.outTradeNo)?.orderState).toBe(5);
    });
  });

  describe('receipt', () => {
    const component = (order: OrderDoc, openid: string, outcome: 'confirm' | 'cancel') =>
      s.post('/sandbox/api/shipping/receipt', { extraData: { transaction_id: order.transactionId }, openid, outcome });

    it('is refused while WeChat has no confirmation, recorded once when it has', async () => {
      const order = await paidOrder(alice, 'sku-mug');
      expect(code(await s.call(alice, { action: 'confirmReceipt', orderId: order.orderId }))).toBe('NOT_SHIPPED');
      await ship(order.orderId, { logistics: 'EXPRESS', trackingNo: 'ZT1000', expressCompany: 'ZTO' });
      // The client claims receipt, but the payer has not confirmed in WeChat.
      expect(code(await s.call(alice, { action: 'confirmReceipt', orderId: order.orderId }))).toBe('RECEIPT_NOT_CONFIRMED');
      const doc = (await s.order(order.orderId)) as OrderDoc;
      // Cancelled in the component: still not received.
      expect((await component(doc, alice, 'cancel')).body.result).toMatchObject({ status: 'cancel' });
      expect(code(await s.call(alice, { action: 'confirmReceipt', orderId: order.orderId }))).toBe('RECEIPT_NOT_CONFIRMED');
      // Only the payer can confirm.
      expect((await component(doc, bob, 'confirm')).body.result).toMatchObject({ status: 'fail' });
      expect((await component(doc, alice, 'confirm')).body.result).toMatchObject({ status: 'success', req_extradata: { transaction_id: doc.transactionId } });
      expect(s.emulators.shipping.list().find((r) => r.outTradeNo === order.outTradeNo)?.orderState).toBe(3);
      expect(code(await s.call(bob, { action: 'confirmReceipt', orderId: order.orderId }))).toBe('NOT_FOUND');
      const all = await Promise.all(Array.from({ length: 4 }, () => s.ok(alice, { action: 'confirmReceipt', orderId: order.orderId })));
      const receivedAt = all[0].order.fulfilment?.receivedAt;
      expect(receivedAt).toEqual(expect.any(Number));
      for (const r of all) expect(r.order.fulfilment).toMatchObject({ state: 'RECEIVED', receivedAt });
      expect((await s.ok(alice, { action: 'confirmReceipt', orderId: order.orderId })).order.fulfilment?.receivedAt).toBe(receivedAt);
      // Received: no more shipping, at WeChat or here.
      expect(await codeOf(ship(order.orderId, { logistics: 'PICKUP' }))).toBe('NOT_SHIPPABLE');
    });
  });
});
