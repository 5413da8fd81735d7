import type { Order } from '../../typings/checkout';
import { loadConfig } from '../../cloudfunctions/common/config';
import type { HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import type { PaymentProvider, ProviderName } from '../../cloudfunctions/common/payment/provider';
import { createProviders } from '../../cloudfunctions/common/payment/providers';
import type { RefundApplication } from '../../cloudfunctions/common/payment/refund';
import type { EmulatedPayment, EmulatedRefund } from '../../scripts/local-host/emulators/types';
import { serveNotify, until, type Served } from '../helpers/loopback';
import { request, startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';

/**
 * Refunds end to end on the local host through our own provider code: the merchant side applies with
 * the real client (v3 signed, v2 over mutual TLS with the sandbox certificate), the sandbox settles,
 * and the client reads the emulator's refund notification and query. The order-level life cycle
 * (merchant function, payNotify applying refunds) is tested with it once it exists.
 */

const ACK = { v2: '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>', v3: '' };

export function describeWxPayRefundsThroughClient(version: 'v2' | 'v3'): void {
  const provider: ProviderName = version === 'v2' ? 'wxpay-v2' : 'wxpay-v3';
  const alice = `openid-refund-${version}`;

  describe(`WeChat Pay ${version} refunds through our client on the local host`, () => {
    let s: TestSandbox;
    let notify: Served & { received: HttpRequestLike[] };
    let client: PaymentProvider;

    beforeAll(async () => {
      notify = await serveNotify(async () => ({ statusCode: version === 'v2' ? 200 : 204, headers: {}, body: ACK[version] }));
      s = await startTestSandbox({ WXPAY_API_VERSION: version });
      client = createProviders(loadConfig(process.env)).named(provider)!;
    });
    afterAll(async () => {
      await s?.close();
      await notify?.close();
    });

    /** An order of two mugs, paid by scanning its Native code. */
    async function paidOrder(): Promise<Order> {
      const { order } = await s.ok(alice, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 2 }] });
      const paid = await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'native' });
      if (paid.method !== 'native') throw new Error('expected a Native payment');
      expect((await s.post('/sandbox/api/wxpay/scan', { codeUrl: paid.codeUrl, outcome: 'pay' })).status).toBe(200);
      return waitForStatus(s, alice, order.orderId, 'PAID');
    }
    const application = (order: Order, n: number, amountFen: number): RefundApplication => ({
      outTradeNo: order.outTradeNo,
      outRefundNo: `${order.outTradeNo}R${n}`,
      totalFen: order.amountFen,
      amountFen,
      reason: '部分退款',
      notifyUrl: `${notify.url}/refund`,
    });
    const emulated = (outRefundNo: string): EmulatedRefund | undefined => s.emulators[version === 'v2' ? 'wxpayV2' : 'wxpayV3'].listRefunds().find((r) => r.outRefundNo === outRefundNo);
    /** The refund notifications received so far, as our client verifies and reads them. */
    async function readNotes(count: number) {
      await until(() => notify.received.length >= count);
      const notes = await Promise.all(notify.received.map((n) => client.readNotification(n, { signTypeOf: async () => undefined })));
      return notes.map((n) => {
        if (n.kind !== 'refund') throw new Error('expected a refund notification');
        return n.report;
      });
    }

    test('two partial refunds up to the total; one more fen is refused; ABNORMAL then SUCCESS read from the notifications and queries', async () => {
      const order = await paidOrder();
      const first = await client.refund(application(order, 1, 1000));
      expect(first).toMatchObject({ outRefundNo: `${order.outTradeNo}R1`, status: 'PROCESSING', amountFen: 1000 });
      expect(emulated(`${order.outTradeNo}R1`)?.status).toBe('PROCESSING');
      // A retry of the same refund is the same refund at the platform.
      expect((await client.refund(application(order, 1, 1000))).providerRefundId).toBe(first.providerRefundId);
      await expect(client.refund(application(order, 1, 999))).rejects.toMatchObject({ name: 'ProviderError' });

      const rest = order.amountFen - 1000;
      expect((await client.refund(application(order, 2, rest))).status).toBe('PROCESSING');
      await expect(client.refund(application(order, 3, 1))).rejects.toMatchObject({ name: 'ProviderError' });
      expect(emulated(`${order.outTradeNo}R3`)).toBeUndefined();

      expect((await s.post(`/sandbox/api/refunds/${provider}/${order.outTradeNo}R1/abnormal`, {})).status).toBe(200);
      expect((await client.queryRefund({ ...application(order, 1, 1000) })).status).toBe('ABNORMAL');
      expect((await s.post(`/sandbox/api/refunds/${provider}/${order.outTradeNo}R1/succeed`, {})).status).toBe(200);
      expect((await s.post(`/sandbox/api/refunds/${provider}/${order.outTradeNo}R2/succeed`, {})).status).toBe(200);

      const notes = await readNotes(3);
      expect(notes.map((r) => [r.outRefundNo, r.status, r.amountFen, r.outTradeNo])).toEqual([
        [`${order.outTradeNo}R1`, 'ABNORMAL', 1000, order.outTradeNo],
        [`${order.outTradeNo}R1`, 'SUCCESS', 1000, order.outTradeNo],
        [`${order.outTradeNo}R2`, 'SUCCESS', rest, order.outTradeNo],
      ]);
      expect(notes[1].succeededAt).toBe(emulated(`${order.outTradeNo}R1`)!.settledAt);
      const query = await client.queryRefund(application(order, 2, rest));
      expect(query).toMatchObject({ status: 'SUCCESS', amountFen: rest, outRefundNo: `${order.outTradeNo}R2` });
      // Every notification was acknowledged at the first attempt.
      expect(emulated(`${order.outTradeNo}R1`)!.deliveries.every((d) => d.accepted && d.attempt === 1)).toBe(true);
      // The whole total went back: the trade reads REFUND.
      const trade = await client.query({ outTradeNo: order.outTradeNo, amountFen: order.amountFen, description: '', expiresAt: Date.now() + 60_000 });
      expect(trade.report?.state).toBe('REFUND');
    });

    if (version === 'v2') {
      test('v2 goes to the https listener; without our client certificate the same refund is refused', async () => {
        expect(process.env.WXPAY_API_BASE).toBe(s.tlsUrl);
        const order = await paidOrder();
        const withoutCert = createProviders(loadConfig({ ...process.env, WXPAY_V2_CERT_PATH: '', WXPAY_V2_CERT_KEY_PATH: '' })).named(provider)!;
        await expect(withoutCert.refund(application(order, 1, 100))).rejects.toMatchObject({ code: 'REFUND_UNAVAILABLE' });
        expect(emulated(`${order.outTradeNo}R1`)).toBeUndefined();
      });
    }
  });
}

/** PAYJS: the whole order, once, through our client; the emulator records it SUCCESS at once. */
export function describePayjsRefundThroughClient(): void {
  const alice = 'openid-refund-payjs';
  describe('PAYJS refund through our client on the local host', () => {
    let s: TestSandbox;
    beforeAll(async () => {
      s = await startTestSandbox();
    });
    afterAll(() => s?.close());

    test('refunds the whole paid order once; a partial refund is refused before anything is sent', async () => {
      const client = createProviders(loadConfig(process.env)).named('payjs')!;
      const { order } = await s.ok(alice, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] });
      const pay = await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'payjs' });
      if (pay.method !== 'payjs') throw new Error('expected a PAYJS jump');
      const jumped = (await s.post('/sandbox/api/payjs/jump', { extraData: pay.payjs.extraData })).body.payment as EmulatedPayment;
      expect((await s.post(`/sandbox/api/payments/${jumped.id}/pay`, {})).status).toBe(200);
      const app = { outTradeNo: order.outTradeNo, outRefundNo: `${order.outTradeNo}R1`, totalFen: order.amountFen, amountFen: order.amountFen, providerOrderId: jumped.id };
      const before = s.emulators.payjs.received.length;
      await expect(client.refund({ ...app, amountFen: order.amountFen - 1 })).rejects.toMatchObject({ code: 'REFUND_UNAVAILABLE' });
      expect(s.emulators.payjs.received.length).toBe(before);
      expect(await client.refund(app)).toMatchObject({ status: 'SUCCESS', outTradeNo: order.outTradeNo });
      expect(s.emulators.payjs.listRefunds()).toEqual([expect.objectContaining({ paymentId: jumped.id, status: 'SUCCESS', amountFen: order.amountFen })]);
      await expect(client.refund(app)).rejects.toMatchObject({ name: 'ProviderError' });
      const state = JSON.parse((await request(`${s.url}/sandbox/api/state`)).body.toString('utf8')) as { refunds: EmulatedRefund[] };
      expect(state.refunds.map((r) => [r.provider, r.status])).toEqual([['payjs', 'SUCCESS']]);
    });
  });
}
