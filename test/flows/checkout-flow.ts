import type { PayData } from '../../typings/checkout';
import { forgeV2, forgeV3 } from '../helpers/forge-notification';
import { replay, startRecordingProxy, startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';

/**
 * The whole checkout through the local host and its WeChat Pay emulator, for one API configuration:
 * create → pay → the payer confirms → signed notification → PAID, and what must not happen around it.
 */
export function describeWxPayFlows(title: string, env: Record<string, string>): void {
  describe(`checkout flows, ${title}`, () => {
    let s: TestSandbox;
    let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
    const alice = 'openid-alice';
    const bob = 'openid-bob';

    beforeAll(async () => {
      // Notifications pass through a recorder on their way to payNotify, so tests can replay them.
      proxy = await startRecordingProxy({ target: () => `${s.url}/http/payNotify` });
      s = await startTestSandbox({ ...env, WXPAY_NOTIFY_URL: proxy.url });
    });
    afterAll(async () => {
      await s.close();
      await proxy.close();
    });
    afterEach(() => jest.restoreAllMocks());

    const newOrder = async (openid = alice, quantity = 1, skuId = 'sku-mug') =>
      (await s.ok(openid, { action: 'createOrder', items: [{ skuId, quantity }] })).order;

    async function payWithWallet(orderId: string, outcome: 'pay' | 'cancel' | 'fail' = 'pay') {
      const paid = (await s.ok(alice, { action: 'pay', orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
      const r = await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome });
      return { paid, r };
    }

    it('lists the seeded catalog', async () => {
      const { products } = await s.ok(alice, { action: 'listProducts' });
      expect(products.map((p) => p.skuId)).toContain('sku-mug');
      expect(products.every((p) => Number.isInteger(p.priceFen))).toBe(true);
    });

    it('create → pay → confirm → notify → PAID, priced by the server', async () => {
      const before = await s.stock('sku-coffee-beans');
      const { order } = await s.ok(alice, { action: 'createOrder', items: [{ skuId: 'sku-coffee-beans', quantity: 2, priceFen: 1 } as never] });
      expect(order).toMatchObject({ status: 'PENDING', amountFen: 2 * 6800 });
      expect(await s.stock('sku-coffee-beans')).toBe(before - 2);

      const { paid, r } = await payWithWallet(order.orderId);
      expect(paid.payment.package).toMatch(/^prepay_id=wx/);
      expect(paid.payment.signType).toBe(env.WXPAY_API_VERSION === 'v2' ? env.WXPAY_V2_SIGN_TYPE ?? 'MD5' : 'RSA');
      expect(r.status).toBe(200);

      const done = await waitForStatus(s, alice, order.orderId, 'PAID');
      expect(done.status).toBe('PAID');
      expect(done.paidAt).toEqual(expect.any(Number));
      expect((await s.order(order.orderId)).paidVia).toBe('notify');
      expect(await s.stock('sku-coffee-beans')).toBe(before - 2);
      // Paid is final: no second payment, no cancel.
      expect((await s.call(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' })).ok).toBe(false);
      const cancel = await s.call(alice, { action: 'cancelOrder', orderId: order.orderId });
      expect(cancel.ok ? null : cancel.error.code).toBe('ALREADY_PAID');
    });

    it('scan-to-pay: a Native code_url paid from another phone', async () => {
      const order = await newOrder();
      const paid = (await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'native' })) as Extract<PayData, { method: 'native' }>;
      expect(paid.codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
      expect((await s.post('/sandbox/api/wxpay/scan', { codeUrl: paid.codeUrl, outcome: 'pay' })).status).toBe(200);
      expect((await waitForStatus(s, alice, order.orderId, 'PAID')).status).toBe('PAID');
    });

    it('re-paying an unpaid order reuses its out_trade_no and prepay id; another method is refused', async () => {
      const order = await newOrder();
      const first = (await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
      const again = (await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
      expect(again.payment.package).toBe(first.payment.package);
      expect(again.order.outTradeNo).toBe(order.outTradeNo);
      const other = await s.call(alice, { action: 'pay', orderId: order.orderId, method: 'native' });
      expect(other.ok ? null : other.error.code).toBe('METHOD_MISMATCH');
    });

    it('concurrent pays of one order hand out the same trade', async () => {
      const order = await newOrder();
      const all = await Promise.all(Array.from({ length: 4 }, () => s.call(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' })));
      const packages = all.map((r) => (r.ok && r.data.method === 'wechat' ? r.data.payment.package : r));
      expect(new Set(packages).size).toBe(1);
      expect(String(packages[0])).toMatch(/^prepay_id=/);
    });

    it('an order too close to its expiry for WeChat Pay is closed instead of paid', async () => {
      const before = await s.stock('sku-gift-card');
      const order = await newOrder(alice, 1, 'sku-gift-card');
      jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt - 30_000);
      const r = await s.call(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
      expect(r.ok ? null : r.error.code).toBe('ORDER_CLOSED');
      expect(await s.order(order.orderId)).toMatchObject({ status: 'CLOSED', closeReason: 'EXPIRED' });
      expect(await s.stock('sku-gift-card')).toBe(before);
    });

    it('re-paying an order the provider already has as paid answers ALREADY_PAID and settles it', async () => {
      const order = await newOrder();
      const paid = await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
      const emu = env.WXPAY_API_VERSION === 'v2' ? s.emulators.wxpayV2 : s.emulators.wxpayV3;
      emu.list().find((x) => x.outTradeNo === order.outTradeNo)!.notifyUrl = 'http://127.0.0.1:9/unreachable';
      if (paid.method !== 'wechat') throw new Error('wechat expected');
      await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' });
      // Its prepay_id has run out, so the next pay places the trade again: the provider says it is paid.
      await s.db.collection('orders').doc(order.orderId).update({ data: { payment: { reusableUntil: 0 } } });
      const again = await s.call(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
      expect(again.ok ? null : again.error.code).toBe('ALREADY_PAID');
      expect(await s.order(order.orderId)).toMatchObject({ status: 'PAID', paidVia: 'query' });
    });

    it('the wallet refuses a tampered paySign, and a cancelled payment leaves the order payable', async () => {
      const order = await newOrder();
      const paid = (await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
      const forged = { ...paid.payment, paySign: paid.payment.paySign.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
      expect((await s.post('/sandbox/api/wxpay/request-payment', { params: forged, outcome: 'pay' })).status).toBe(400);
      expect((await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'cancel' })).status).toBe(200);
      expect((await s.ok(alice, { action: 'queryOrder', orderId: order.orderId })).order.status).toBe('PENDING');
      await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' });
      expect((await waitForStatus(s, alice, order.orderId, 'PAID')).status).toBe('PAID');
    });

    it('duplicate notifications, also concurrent, make the order PAID once and are all acknowledged', async () => {
      const order = await newOrder();
      const seenBefore = proxy.seen.length;
      await payWithWallet(order.orderId);
      await waitForStatus(s, alice, order.orderId, 'PAID');
      const note = proxy.seen[seenBefore];
      const paidAt = (await s.order(order.orderId)).paidAt;
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      const answers = await Promise.all(Array.from({ length: 8 }, () => replay(`${s.url}/http/payNotify`, note)));
      for (const a of answers) expect(a.status).toBeLessThan(300);
      const outcomes = log.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(order.outTradeNo));
      expect(outcomes).toHaveLength(8);
      expect(outcomes.every((l) => l.endsWith(': DUPLICATE'))).toBe(true);
      expect((await s.order(order.orderId)).paidAt).toBe(paidAt);
    });

    describe('notifications that must change nothing', () => {
      const v2 = env.WXPAY_API_VERSION === 'v2';
      const signType = (env.WXPAY_V2_SIGN_TYPE ?? 'MD5') as 'MD5' | 'HMAC-SHA256';
      const forge = (o: { outTradeNo: string; amountFen: number }, opts: Parameters<typeof forgeV3>[2] = {}) =>
        v2 ? forgeV2(s.dir, o, signType) : forgeV3(s.dir, o, opts);
      const send = (n: { headers: Record<string, string>; body: Buffer }) => replay(`${s.url}/http/payNotify`, n);
      let order: Awaited<ReturnType<typeof newOrder>>;

      beforeEach(async () => {
        order = await newOrder();
        await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
      });

      async function expectUntouched(status: number, answer: { status: number }) {
        expect(answer.status).toBe(status);
        const doc = await s.order(order.orderId);
        expect(doc.status).toBe('PENDING');
        expect(doc.paidAt).toBeUndefined();
      }

      it('a body altered after signing (forged signature) → 401', async () => {
        const n = forge(order);
        const body = v2
          ? Buffer.from(n.body.toString().replace(`<total_fee><![CDATA[${order.amountFen}]]>`, '<total_fee><![CDATA[1]]>'))
          : Buffer.from(n.body.toString().replace('支付成功', '支付成功!'));
        expect(body.equals(n.body)).toBe(false);
        await expectUntouched(401, await send({ ...n, body }));
      });

      it('validly signed, but for another amount → 400', async () => {
        await expectUntouched(400, await send(forge({ ...order, amountFen: order.amountFen - 1 })));
      });

      it('validly signed, for an order we never made → 404', async () => {
        const a = await send(forge({ outTradeNo: '20990101000000UNKNOWN00000', amountFen: order.amountFen }));
        expect(a.status).toBe(404);
      });

      if (!v2) {
        it('a stale timestamp → 401', async () => {
          await expectUntouched(401, await send(forge(order, { timestamp: Math.floor(Date.now() / 1000) - 600 })));
        });
        it('an unknown key id (Wechatpay-Serial) → 401', async () => {
          await expectUntouched(401, await send(forge(order, { serial: 'PUB_KEY_ID_0000000000000000000000000000' })));
        });
        it('another merchant → 400', async () => {
          await expectUntouched(400, await send(forge(order, { mchid: '1999999999' })));
        });
      }

      it('eight validly signed first deliveries at once: exactly one makes it PAID', async () => {
        const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
        const n = forge(order);
        const answers = await Promise.all(Array.from({ length: 8 }, () => send(n)));
        for (const a of answers) expect(a.status).toBeLessThan(300);
        const outcomes = log.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(order.outTradeNo));
        expect(outcomes.filter((l) => l.endsWith(': PAID'))).toHaveLength(1);
        expect(outcomes.filter((l) => l.endsWith(': DUPLICATE'))).toHaveLength(7);
        expect((await s.order(order.orderId)).status).toBe('PAID');
      });

      it('a payment reported for an order we closed is acknowledged, left CLOSED and flagged for refund', async () => {
        await s.ok(alice, { action: 'cancelOrder', orderId: order.orderId });
        const a = await send(forge(order));
        expect(a.status).toBeLessThan(300);
        const doc = await s.order(order.orderId);
        expect(doc.status).toBe('CLOSED');
        expect(doc.paidAfterClose).toMatchObject({ amountFen: order.amountFen });
      });

      it('control: the same forger with everything right makes it PAID', async () => {
        const a = await send(forge(order));
        expect(a.status).toBeLessThan(300);
        expect((await s.order(order.orderId)).status).toBe('PAID');
      });
    });

    it('provider errors are retried with the same parameters; persistent ones leave the order untouched', async () => {
      const version = env.WXPAY_API_VERSION === 'v2' ? 'wxpay-v2' : 'wxpay-v3';
      const emu = version === 'wxpay-v2' ? s.emulators.wxpayV2 : s.emulators.wxpayV3;
      const path = version === 'wxpay-v2' ? '/pay/unifiedorder' : '/v3/pay/transactions/jsapi';
      const failure = version === 'wxpay-v2'
        ? { statusCode: 500, headers: {}, body: 'busy' }
        : { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"code":"SYSTEM_ERROR","message":"busy"}' };

      const order = await newOrder();
      const before = emu.received.length;
      await s.post('/sandbox/api/faults', { provider: version, fault: { pathIncludes: path, kind: 'reply', reply: failure, times: 1 } });
      const paid = await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
      expect(paid.method).toBe('wechat');
      const attempts = emu.received.slice(before).filter((r) => r.path.includes(path));
      expect(attempts).toHaveLength(2);
      const business = (b: string) => b.replace(/<nonce_str>.*?<\/nonce_str>|<sign>.*?<\/sign>/g, '');
      expect(business(attempts[1].body)).toBe(business(attempts[0].body));

      const stuck = await newOrder();
      await s.post('/sandbox/api/faults', { provider: version, fault: { pathIncludes: path, kind: 'reply', reply: failure, times: 10 } });
      const r = await s.call(alice, { action: 'pay', orderId: stuck.orderId, method: 'wechat' });
      expect(r.ok ? null : r.error.code).toBe('PROVIDER_ERROR');
      const doc = await s.order(stuck.orderId);
      expect(doc.status).toBe('PENDING');
      // Recorded before the provider was asked: a trade may exist, so cancel and expiry close it there.
      expect(doc.payMethod).toBe('wechat');
      expect(doc.payment).toMatchObject({ provider: version, tradeType: 'JSAPI' });
      expect(doc.payment.prepayId).toBeUndefined();
      await s.post('/sandbox/api/faults', { provider: version, clear: true });
      const retried = await s.ok(alice, { action: 'pay', orderId: stuck.orderId, method: 'wechat' });
      expect(retried.order.outTradeNo).toBe(stuck.outTradeNo);
    });

    it('when notifications do not get through, an active query settles the order', async () => {
      const order = await newOrder();
      const paid = await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
      // Break delivery: the emulator's notification goes to a URL that is not ours.
      const emu = env.WXPAY_API_VERSION === 'v2' ? s.emulators.wxpayV2 : s.emulators.wxpayV3;
      const p = emu.list().find((x) => x.outTradeNo === order.outTradeNo)!;
      p.notifyUrl = 'http://127.0.0.1:9/unreachable';
      if (paid.method !== 'wechat') throw new Error('wechat expected');
      await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' });
      expect((await s.ok(alice, { action: 'queryOrder', orderId: order.orderId })).order.status).toBe('PENDING');
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now + 11_000);
      const settled = (await s.ok(alice, { action: 'queryOrder', orderId: order.orderId })).order;
      expect(settled.status).toBe('PAID');
      expect((await s.order(order.orderId)).paidVia).toBe('query');
    });

    it('cancel releases stock exactly once and closes the trade', async () => {
      const before = await s.stock('sku-drip-bags');
      const order = await newOrder(alice, 3, 'sku-drip-bags');
      await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
      const results = await Promise.all(Array.from({ length: 4 }, () => s.call(alice, { action: 'cancelOrder', orderId: order.orderId })));
      for (const r of results) expect(r.ok).toBe(true);
      expect(await s.stock('sku-drip-bags')).toBe(before);
      const closed = (await s.ok(alice, { action: 'queryOrder', orderId: order.orderId })).order;
      expect(closed).toMatchObject({ status: 'CLOSED', closeReason: 'CANCELLED' });
      const again = await s.call(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
      expect(again.ok ? null : again.error.code).toBe('ORDER_CLOSED');
      const emu = env.WXPAY_API_VERSION === 'v2' ? s.emulators.wxpayV2 : s.emulators.wxpayV3;
      expect(emu.list().find((x) => x.outTradeNo === order.outTradeNo)?.status).toBe('CLOSED');
    });

    it('expired orders close (at the provider too) and release stock once, however many pollers', async () => {
      const before = await s.stock('sku-filter-papers');
      const order = await newOrder(alice, 5, 'sku-filter-papers');
      await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'native' });
      jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt + 1000);
      const polls = await Promise.all(Array.from({ length: 5 }, () => s.ok(alice, { action: 'queryOrder', orderId: order.orderId })));
      for (const p of polls) expect(p.order).toMatchObject({ status: 'CLOSED', closeReason: 'EXPIRED' });
      expect(await s.stock('sku-filter-papers')).toBe(before);
      const late = await s.call(alice, { action: 'pay', orderId: order.orderId, method: 'native' });
      expect(late.ok ? null : late.error.code).toBe('ORDER_CLOSED');
    });

    it('the timer trigger closes abandoned orders and gives their stock back', async () => {
      // A product no other test orders: the sweep closes every expired order, not just this one.
      const before = await s.stock('sku-gift-card');
      const order = await newOrder(alice, 2, 'sku-gift-card');
      await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' });
      expect(await s.runTimer()).toMatchObject({ ok: true, data: { closed: 0 } });
      expect((await s.order(order.orderId)).status).toBe('PENDING');
      jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt + 1);
      const swept = (await s.runTimer()) as { ok: true; data: { closed: number } };
      expect(swept.data.closed).toBeGreaterThanOrEqual(1);
      expect(await s.order(order.orderId)).toMatchObject({ status: 'CLOSED', closeReason: 'EXPIRED' });
      expect(await s.stock('sku-gift-card')).toBe(before);
      expect((await s.order(order.orderId)).stockReleased).toBe(true);
      // A release interrupted by a crash (closed, stock not given back) is reported, not redone.
      await s.db.collection('orders').doc(order.orderId).update({ data: { stockReleased: 'pending' } });
      jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt + 120_000);
      const report = (await s.runTimer()) as { ok: true; data: { stockPending: string[] } };
      expect(report.data.stockPending).toContain(order.outTradeNo);
      expect(await s.stock('sku-gift-card')).toBe(before);
      // A caller cannot trigger it: with an identity the event is an ordinary (invalid) request.
      const r = await s.call(alice, { Type: 'Timer' });
      expect(r.ok ? null : r.error.code).toBe('INVALID_ARGUMENT');
    });

    it('listOrders closes the expired orders it shows', async () => {
      const order = await newOrder(bob, 1, 'sku-gift-card');
      jest.spyOn(Date, 'now').mockReturnValue(order.expiresAt + 1);
      const { orders } = await s.ok(bob, { action: 'listOrders' });
      expect(orders.find((o) => o.orderId === order.orderId)).toMatchObject({ status: 'CLOSED', closeReason: 'EXPIRED' });
    });

    it('out of stock writes nothing, and gives back lines already taken', async () => {
      const mugs = await s.stock('sku-mug');
      const beans = await s.stock('sku-coffee-beans');
      const { orders: before } = await s.ok(alice, { action: 'listOrders' });
      expect(mugs + 1).toBeLessThanOrEqual(99); // the seed has 30 mugs: one more than left is a valid request
      const r = await s.call(alice, { action: 'createOrder', items: [{ skuId: 'sku-coffee-beans', quantity: 1 }, { skuId: 'sku-mug', quantity: mugs + 1 }] });
      expect(r.ok ? null : r.error.code).toBe('OUT_OF_STOCK');
      expect(await s.stock('sku-coffee-beans')).toBe(beans);
      expect(await s.stock('sku-mug')).toBe(mugs);
      expect((await s.ok(alice, { action: 'listOrders' })).orders).toHaveLength(before.length);
    });

    it('a retried createOrder with the same requestId is one order', async () => {
      const before = await s.stock('sku-mug');
      const event = { action: 'createOrder' as const, items: [{ skuId: 'sku-mug', quantity: 1 }], requestId: `r-${Date.now()}` };
      const [a, b] = await Promise.all([s.ok(alice, event), s.ok(alice, event)]);
      expect(a.order.orderId).toBe(b.order.orderId);
      expect(await s.stock('sku-mug')).toBe(before - 1);
    });

    it('users only see and change their own orders; no identity, no access', async () => {
      const order = await newOrder(alice);
      for (const event of [
        { action: 'queryOrder', orderId: order.orderId },
        { action: 'pay', orderId: order.orderId, method: 'wechat' },
        { action: 'cancelOrder', orderId: order.orderId },
      ]) {
        const r = await s.call(bob, event);
        expect(r.ok ? null : r.error.code).toBe('NOT_FOUND');
      }
      expect((await s.ok(bob, { action: 'listOrders' })).orders.some((o) => o.orderId === order.orderId)).toBe(false);
      expect((await s.order(order.orderId)).status).toBe('PENDING');
      const anonymous = await s.post('/api/checkout', { action: 'listOrders' });
      expect(anonymous.status).toBe(401);
    });

    it('malformed events get INVALID_ARGUMENT and write nothing', async () => {
      const { orders: before } = await s.ok(alice, { action: 'listOrders' });
      const stock = await s.stock('sku-mug');
      for (const event of [{}, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: -1 }] }, { action: 'pay', orderId: 'x', method: 'cash' }]) {
        const r = await s.call(alice, event);
        expect(r.ok ? null : r.error.code).toBe('INVALID_ARGUMENT');
      }
      expect((await s.ok(alice, { action: 'listOrders' })).orders).toHaveLength(before.length);
      expect(await s.stock('sku-mug')).toBe(stock);
    });
  });
}
