import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Order, PayData, Refund, Result } from '../../typings/checkout';
import type { MerchantAction, MerchantData, MerchantEventOf, MerchantOrder } from '../../typings/merchant';
import { postJson, replay, startTestSandbox, waitForStatus, type RecordedRequest, type TestSandbox } from '../helpers/sandbox';
import { forgeV2Refund, forgeV3Refund, type ForgeRefund } from './refund-forge';

/** Another order number of the same shape (the last character changed, never to itself). */
const otherTradeNo = (no: string) => `${no.slice(0, -1)}${no.endsWith('Z') ? 'Y' : 'Z'}`;

/**
 * Refunds end to end through the local host, for one WeChat Pay API version: the merchant function
 * issues them, the emulator takes them, the sandbox settles them (the bank's side), refund
 * notifications and active queries settle them on our side.
 */

export const STAFF = 'openid-staff';

export type MerchantCall = <A extends MerchantAction>(openid: string, event: MerchantEventOf<A>) => Promise<Result<MerchantData[A]>>;

export function merchantCaller(s: () => TestSandbox): { call: MerchantCall; ok: <A extends MerchantAction>(event: MerchantEventOf<A>) => Promise<MerchantData[A]> } {
  const call: MerchantCall = async (openid, event) => (await postJson(`${s().url}/api/merchant`, event, { 'X-WX-OPENID': openid })).body;
  return {
    call,
    ok: async (event) => {
      const r = await call(STAFF, event);
      if (!r.ok) throw new Error(`${event.action} failed: ${JSON.stringify(r.error)}`);
      return r.data;
    },
  };
}

/** The notify URL the provider is given: records every notification; refund ones can be dropped (answered 500). */
export async function startNotifyRecorder(target: () => string) {
  const seen: RecordedRequest[] = [];
  const state = { dropRefunds: false };
  const isRefund = (body: Buffer) => /"event_type":"REFUND\.|<req_info>/.test(body.toString('utf8'));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const rec = { method: req.method ?? 'POST', url: req.url ?? '/', headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body: Buffer.concat(chunks) };
      seen.push(rec);
      if (state.dropRefunds && isRefund(rec.body)) {
        res.writeHead(500);
        res.end('lost');
        return;
      }
      const fwd = await replay(target(), rec);
      res.writeHead(fwd.status, { 'content-type': fwd.contentType });
      res.end(fwd.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    seen,
    state,
    refunds: () => seen.filter((r) => isRefund(r.body)),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export async function until<T>(what: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function describeWxPayRefunds(title: string, env: Record<string, string>): void {
  const version = env.WXPAY_API_VERSION === 'v2' ? 'v2' : 'v3';
  const provider = `wxpay-${version}` as const;
  const forge = (dir: string, r: ForgeRefund) => (version === 'v3' ? forgeV3Refund(dir, r) : forgeV2Refund(dir, r));

  describe(`refunds, ${title}`, () => {
    let s: TestSandbox;
    let notify: Awaited<ReturnType<typeof startNotifyRecorder>>;
    const alice = 'openid-alice';
    const m = merchantCaller(() => s);

    beforeAll(async () => {
      notify = await startNotifyRecorder(() => `${s.url}/http/payNotify`);
      s = await startTestSandbox({ ...env, WXPAY_NOTIFY_URL: notify.url, MERCHANT_OPENIDS: `other-staff,${STAFF}` });
    });
    afterAll(async () => {
      await s.close();
      await notify.close();
    });
    afterEach(() => {
      notify.state.dropRefunds = false;
      jest.restoreAllMocks();
    });

    const emulator = () => (version === 'v3' ? s.emulators.wxpayV3 : s.emulators.wxpayV2);
    const refundsAtProvider = (o: Pick<Order, 'outTradeNo'>) => emulator().listRefunds().filter((r) => r.outTradeNo === o.outTradeNo);
    const settle = (outRefundNo: string, outcome: 'succeed' | 'abnormal' | 'close') => s.post(`/sandbox/api/refunds/${provider}/${outRefundNo}/${outcome}`, {});
    const sendNotify = (n: { headers: Record<string, string>; body: Buffer }) => replay(`${s.url}/http/payNotify`, n);
    const getOrder = async (orderId: string) => (await m.ok({ action: 'getOrder', orderId })).order;
    const refundOf = async (orderId: string, refundId: string) => (await getOrder(orderId)).refunds?.find((r) => r.refundId === refundId);
    const waitRefund = (orderId: string, refundId: string, status: Refund['status']) =>
      until(async () => {
        const r = await refundOf(orderId, refundId);
        return r?.status === status ? r : undefined;
      });

    /** A PAID order (through the wallet and the signed notification). */
    async function paidOrder(quantity = 2, skuId = 'sku-mug'): Promise<Order> {
      const { order } = await s.ok(alice, { action: 'createOrder', items: [{ skuId, quantity }] });
      const paid = (await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
      expect((await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' })).status).toBe(200);
      return waitForStatus(s, alice, order.orderId, 'PAID');
    }
    const refund = (order: Order, amountFen: number, requestId: string, reason?: string) =>
      m.call(STAFF, { action: 'refund', orderId: order.orderId, amountFen, requestId, ...(reason ? { reason } : {}) });
    const refundOk = async (order: Order, amountFen: number, requestId: string) => {
      const r = await refund(order, amountFen, requestId);
      if (!r.ok) throw new Error(`refund failed: ${JSON.stringify(r.error)}`);
      return r.data.refund;
    };
    const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error?.code);

    it('a full refund: PROCESSING at once, SUCCESS from the notification, and the order REFUNDED', async () => {
      const order = await paidOrder();
      const r = await refund(order, order.amountFen, 'full-1', '商品缺货');
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.data.refund).toMatchObject({ status: 'PROCESSING', amountFen: order.amountFen, requestedBy: 'merchant', reason: '商品缺货' });
      expect(r.data.order).toMatchObject({ status: 'PAID', refundedFen: 0 });
      expect(refundsAtProvider(order)).toEqual([expect.objectContaining({ outRefundNo: r.data.refund.outRefundNo, amountFen: order.amountFen, totalFen: order.amountFen, status: 'PROCESSING' })]);

      expect((await settle(r.data.refund.outRefundNo, 'succeed')).status).toBe(200);
      await waitRefund(order.orderId, r.data.refund.refundId, 'SUCCESS');
      const after = await getOrder(order.orderId);
      expect(after).toMatchObject({ status: 'REFUNDED', refundedFen: order.amountFen });
      // The payer sees it too, and can no longer ask for a refund.
      const mine = (await s.ok(alice, { action: 'queryOrder', orderId: order.orderId })).order;
      expect(mine).toMatchObject({ status: 'REFUNDED', refundedFen: order.amountFen, refunds: [expect.objectContaining({ status: 'SUCCESS', succeededAt: expect.any(Number) })] });
      expect(code(await refund(order, 1, 'full-2'))).toBe('ORDER_NOT_PAID');
    });

    it('several partial refunds up to the paid amount; one more is refused and nothing is sent', async () => {
      const order = await paidOrder(2);
      const parts = [1000, 2500, order.amountFen - 3500];
      const refunds = [];
      for (const [i, fen] of parts.entries()) refunds.push(await refundOk(order, fen, `part-${i}`));
      expect(code(await refund(order, 1, 'part-over'))).toBe('REFUND_EXCEEDS_PAID');
      expect(refundsAtProvider(order)).toHaveLength(3);
      expect(new Set(refunds.map((r) => r.outRefundNo)).size).toBe(3);

      await settle(refunds[0].outRefundNo, 'succeed');
      await waitRefund(order.orderId, refunds[0].refundId, 'SUCCESS');
      expect(await getOrder(order.orderId)).toMatchObject({ status: 'PAID', refundedFen: 1000 });
      for (const r of refunds.slice(1)) await settle(r.outRefundNo, 'succeed');
      await until(async () => ((await getOrder(order.orderId)).status === 'REFUNDED' ? true : undefined));
      expect(await getOrder(order.orderId)).toMatchObject({ status: 'REFUNDED', refundedFen: order.amountFen });
    });

    it('the same requestId twice and concurrently is one refund; with another amount it is refused', async () => {
      const order = await paidOrder();
      const answers = await Promise.all(Array.from({ length: 6 }, () => refund(order, 1200, 'same-request')));
      expect(answers.map(code)).toEqual(Array(6).fill('ok'));
      const ids = new Set(answers.map((a) => (a.ok ? a.data.refund.refundId : '')));
      expect(ids.size).toBe(1);
      expect((await refund(order, 1200, 'same-request')).ok).toBe(true);
      expect(refundsAtProvider(order)).toHaveLength(1);
      expect((await s.order(order.orderId)).refunds).toHaveLength(1);
      expect(code(await refund(order, 1300, 'same-request'))).toBe('INVALID_ARGUMENT');
    });

    it('duplicated and concurrent refund notifications change the refund once', async () => {
      const log = jest.spyOn(console, 'log');
      const order = await paidOrder();
      const r = await refundOk(order, 700, 'dup-1');
      const before = notify.refunds().length;
      await settle(r.outRefundNo, 'succeed');
      await waitRefund(order.orderId, r.refundId, 'SUCCESS');
      const original = notify.refunds()[before];
      const answers = await Promise.all(Array.from({ length: 8 }, () => sendNotify(original)));
      for (const a of answers) expect(a.status).toBeLessThan(300);
      const lines = log.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(r.outRefundNo));
      expect(lines.filter((l) => l.includes('→ SUCCESS'))).toHaveLength(1);
      expect(await getOrder(order.orderId)).toMatchObject({ status: 'PAID', refundedFen: 700 });
    });

    it('forged, mismatched and unknown refund notifications are refused and change nothing', async () => {
      const order = await paidOrder();
      const r = await refundOk(order, 900, 'forge-1');
      const dir = s.dir;
      const stored = await s.order(order.orderId);
      const authentic = forge(dir, { outTradeNo: order.outTradeNo, outRefundNo: r.outRefundNo, amountFen: 900, totalFen: order.amountFen });
      // Tampered bytes: the signature (v3) or the encryption (v2) no longer holds.
      const text = authentic.body.toString('utf8');
      const tampered = { headers: authentic.headers, body: Buffer.from(version === 'v3' ? text.replace('"event_type":"REFUND.SUCCESS"', '"event_type":"REFUND.SUCCESS" ') : text.replace(/<req_info><!\[CDATA\[(.)/, (_m, c: string) => `<req_info><![CDATA[${c === 'A' ? 'B' : 'A'}`)) };
      expect([400, 401]).toContain((await sendNotify(tampered)).status);
      expect((await sendNotify(forge(dir, { outTradeNo: order.outTradeNo, outRefundNo: r.outRefundNo, amountFen: 901, totalFen: order.amountFen }))).status).toBe(400);
      expect((await sendNotify(forge(dir, { outTradeNo: order.outTradeNo, outRefundNo: r.outRefundNo, amountFen: 900, totalFen: order.amountFen + 1 }))).status).toBe(400);
      expect((await sendNotify(forge(dir, { outTradeNo: otherTradeNo(order.outTradeNo), outRefundNo: r.outRefundNo, amountFen: 900, totalFen: order.amountFen }))).status).toBe(400);
      expect((await sendNotify(forge(dir, { outTradeNo: order.outTradeNo, outRefundNo: `${r.outRefundNo}9`, amountFen: 900, totalFen: order.amountFen }))).status).toBe(404);
      expect(await s.order(order.orderId)).toEqual(stored);
      // Control: the same forger with everything right is applied.
      expect((await sendNotify(authentic)).status).toBeLessThan(300);
      expect((await refundOf(order.orderId, r.refundId))?.status).toBe('SUCCESS');
    });

    it('a lost notification is settled by the active query: on read once due, and by the timer run', async () => {
      const order = await paidOrder();
      const a = await refundOk(order, 500, 'lost-1');
      const b = await refundOk(order, 600, 'lost-2');
      notify.state.dropRefunds = true;
      const seenBefore = notify.refunds().length;
      await settle(a.outRefundNo, 'succeed');
      await settle(b.outRefundNo, 'succeed');
      await until(() => (notify.refunds().length >= seenBefore + 2 ? true : undefined));
      expect((await refundOf(order.orderId, a.refundId))?.status).toBe('PROCESSING');
      // Time passes (the first query is due 10 s after applying): reading the order asks the provider.
      await s.db.collection('orders').doc(order.orderId).update({ data: { refundQueryAt: Date.now() - 1 } });
      const read = await getOrder(order.orderId);
      expect(read.refunds?.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
      expect(read.refundedFen).toBe(1100);

      const other = await paidOrder();
      const c = await refundOk(other, other.amountFen, 'lost-3');
      await settle(c.outRefundNo, 'succeed');
      await s.db.collection('orders').doc(other.orderId).update({ data: { refundQueryAt: Date.now() - 1 } });
      await s.runTimer();
      expect(await s.order(other.orderId)).toMatchObject({ status: 'REFUNDED', refundedFen: other.amountFen });
    });

    it('ABNORMAL needs action, then becomes SUCCESS', async () => {
      const order = await paidOrder();
      const r = await refundOk(order, order.amountFen, 'abn-1');
      await settle(r.outRefundNo, 'abnormal');
      await waitRefund(order.orderId, r.refundId, 'ABNORMAL');
      const listed = await m.ok({ action: 'listOrders', refund: 'ABNORMAL' });
      expect(listed.orders.map((o: MerchantOrder) => o.orderId)).toContain(order.orderId);
      expect(await getOrder(order.orderId)).toMatchObject({ status: 'PAID', refundedFen: 0 });
      await settle(r.outRefundNo, 'succeed');
      await waitRefund(order.orderId, r.refundId, 'SUCCESS');
      expect(await getOrder(order.orderId)).toMatchObject({ status: 'REFUNDED' });
    });

    it('a payment that lands on a closed order is refunded in full automatically', async () => {
      const { order } = await s.ok(alice, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] });
      const paid = (await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
      // The order was closed here while the payer paid (e.g. expired while the provider could not be
      // asked): set up directly, then the payment's notification arrives.
      await s.db.collection('orders').doc(order.orderId).update({ data: { status: 'CLOSED', closedAt: Date.now(), closeReason: 'EXPIRED', stockReleased: true } });
      expect((await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' })).status).toBe(200);
      const doc = await until(async () => {
        const d = await s.order(order.orderId);
        return d.refunds?.length ? d : undefined;
      });
      expect(doc.status).toBe('CLOSED');
      expect(doc.paidAfterClose).toMatchObject({ amountFen: order.amountFen });
      expect(doc.refunds).toEqual([expect.objectContaining({ requestedBy: 'auto', amountFen: order.amountFen, status: 'PROCESSING' })]);
      expect(refundsAtProvider(order)).toEqual([expect.objectContaining({ amountFen: order.amountFen, totalFen: order.amountFen })]);
      await settle(doc.refunds[0].outRefundNo, 'succeed');
      await until(async () => ((await s.order(order.orderId)).refundedFen === order.amountFen ? true : undefined));
      expect((await getOrder(order.orderId)).status).toBe('CLOSED');
    });

    it('a caller not on MERCHANT_OPENIDS gets FORBIDDEN and changes nothing', async () => {
      const order = await paidOrder(1);
      const before = await s.order(order.orderId);
      for (const event of [
        { action: 'listOrders' },
        { action: 'getOrder', orderId: order.orderId },
        { action: 'refund', orderId: order.orderId, amountFen: order.amountFen, requestId: 'nope' },
        { action: 'resolveRefundRequest', orderId: order.orderId, approve: true },
      ] as const) {
        expect(code(await m.call(alice, event as never))).toBe('FORBIDDEN');
      }
      expect(await m.call(alice, { action: 'whoami' })).toEqual({ ok: true, data: { merchant: false } });
      expect(await m.call(STAFF, { action: 'whoami' })).toEqual({ ok: true, data: { merchant: true } });
      expect(await s.order(order.orderId)).toEqual(before);
      expect(refundsAtProvider(order)).toHaveLength(0);
    });

    it("a payer's request: listed first by the filter, approved (what is left is refunded) or rejected with a note", async () => {
      const a = await paidOrder(1);
      const b = await paidOrder(1);
      await s.ok(alice, { action: 'requestRefund', orderId: a.orderId, reason: '不想要了' });
      await s.ok(alice, { action: 'requestRefund', orderId: b.orderId, reason: '买错了' });
      const open = await m.ok({ action: 'listOrders', refund: 'REQUESTED' });
      expect(open.orders.map((o: MerchantOrder) => o.orderId)).toEqual(expect.arrayContaining([a.orderId, b.orderId]));
      expect(open.orders.every((o: MerchantOrder) => o.refundRequest?.status === 'OPEN')).toBe(true);

      await refundOk(a, 500, 'before-approval');
      const approved = await m.ok({ action: 'resolveRefundRequest', orderId: a.orderId, approve: true, note: '已同意' });
      expect(approved.refund).toMatchObject({ amountFen: a.amountFen - 500, reason: '不想要了', status: 'PROCESSING' });
      expect(approved.order.refundRequest).toMatchObject({ status: 'APPROVED', note: '已同意' });
      expect(refundsAtProvider(a)).toHaveLength(2);

      const rejected = await m.ok({ action: 'resolveRefundRequest', orderId: b.orderId, approve: false, note: '商品已拆封' });
      expect(rejected.refund).toBeUndefined();
      const seen = (await s.ok(alice, { action: 'queryOrder', orderId: b.orderId })).order;
      expect(seen.refundRequest).toMatchObject({ status: 'REJECTED', note: '商品已拆封', resolvedAt: expect.any(Number) });
      expect(seen.refunds).toBeUndefined();
      expect(refundsAtProvider(b)).toHaveLength(0);
      expect(code(await m.call(STAFF, { action: 'resolveRefundRequest', orderId: b.orderId, approve: true }))).toBe('INVALID_ARGUMENT');
    });
  });
}
