import type { PayData } from '../../typings/checkout';
import type { EmulatedPayment } from '../../scripts/local-host/emulators/types';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';

/**
 * The payer's actions (wallet, scan, the console's pay button) find the payment by its key at the
 * emulator that holds it, instead of reading every payment of every emulator on each call. One file
 * per API version: the functions read their configuration once per test file.
 */

type Pay<M extends PayData['method']> = Extract<PayData, { method: M }>;
const alice = 'openid-alice';

/** Every way of walking a Map's contents: a lookup by key uses none of them. */
const MAP_WALKS = ['values', 'entries', 'keys', 'forEach'] as const;

export function describeSandboxLookups(version: 'v3' | 'v2'): void {
  describe(`sandbox lookups with WeChat Pay ${version}`, () => {
    let s: TestSandbox;
    beforeAll(async () => {
      s = await startTestSandbox({ WXPAY_API_VERSION: version });
    });
    afterAll(() => s.close());
    afterEach(() => jest.restoreAllMocks());

    const newOrder = async () => (await s.ok(alice, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] })).order;
    const emulators = () => [s.emulators.wxpayV3, s.emulators.wxpayV2, s.emulators.payjs];
    const holder = () => (version === 'v3' ? s.emulators.wxpayV3 : s.emulators.wxpayV2);

    test('wallet, scan and pay-by-id ask each emulator for the key and never list the payments', async () => {
      const [a, b, c] = [await newOrder(), await newOrder(), await newOrder()];
      const wallet = (await s.ok(alice, { action: 'pay', orderId: a.orderId, method: 'wechat' })) as Pay<'wechat'>;
      const native = (await s.ok(alice, { action: 'pay', orderId: b.orderId, method: 'native' })) as Pay<'native'>;
      const payjs = (await s.ok(alice, { action: 'pay', orderId: c.orderId, method: 'payjs' })) as Pay<'payjs'>;
      const jumped = (await s.post('/sandbox/api/payjs/jump', { extraData: payjs.payjs.extraData })).body.payment as EmulatedPayment;

      const lists = emulators().map((e) => jest.spyOn(e, 'list'));
      const byPrepayId = [jest.spyOn(s.emulators.wxpayV3, 'findByPrepayId'), jest.spyOn(s.emulators.wxpayV2, 'findByPrepayId')];
      const byCodeUrl = [jest.spyOn(s.emulators.wxpayV3, 'findByCodeUrl'), jest.spyOn(s.emulators.wxpayV2, 'findByCodeUrl')];

      const paid = await s.post('/sandbox/api/wxpay/request-payment', { params: wallet.payment, outcome: 'pay' });
      const scanned = await s.post('/sandbox/api/wxpay/scan', { codeUrl: native.codeUrl, outcome: 'pay' });
      const settled = await s.post(`/sandbox/api/payments/${jumped.id}/pay`, {});
      expect([paid.status, scanned.status, settled.status]).toEqual([200, 200, 200]);
      const prepayId = wallet.payment.package.replace(/^prepay_id=/, '');
      expect(paid.body.payment).toMatchObject({ provider: `wxpay-${version}`, prepayId, status: 'PAID' });
      expect(scanned.body.payment).toMatchObject({ provider: `wxpay-${version}`, codeUrl: native.codeUrl, status: 'PAID' });
      expect(settled.body.payment).toMatchObject({ id: jumped.id, status: 'PAID' });

      // v3 is asked first; v2 only when v3 does not have it.
      expect(byPrepayId[0]).toHaveBeenCalledWith(prepayId);
      expect(byPrepayId[1]).toHaveBeenCalledTimes(version === 'v2' ? 1 : 0);
      expect(byCodeUrl[0]).toHaveBeenCalledWith(native.codeUrl);
      expect(byCodeUrl[1]).toHaveBeenCalledTimes(version === 'v2' ? 1 : 0);
      for (const l of lists) expect(l).not.toHaveBeenCalled();
    });

    test('a prepay_id, code_url or payment id no emulator knows is refused with 404, as before', async () => {
      const lists = emulators().map((e) => jest.spyOn(e, 'list'));
      const params = { timeStamp: '1700000000', nonceStr: 'n', package: 'prepay_id=wx-unknown', signType: 'RSA', paySign: 'x' };
      const unknown = [
        await s.post('/sandbox/api/wxpay/request-payment', { params, outcome: 'pay' }),
        await s.post('/sandbox/api/wxpay/scan', { codeUrl: 'weixin://wxpay/bizpayurl?pr=unknown', outcome: 'pay' }),
        await s.post('/sandbox/api/wxpay/scan', { codeUrl: 'not a code_url', outcome: 'pay' }),
      ];
      for (const r of unknown) expect(r).toEqual({ status: 404, body: { error: 'no such payment at the WeChat Pay emulator' } });
      expect(await s.post('/sandbox/api/payments/P-unknown/pay', {})).toEqual({ status: 404, body: { error: 'no payment P-unknown' } });
      for (const l of lists) expect(l).not.toHaveBeenCalled();
    });

    test('the emulator finds a payment by id, prepay_id and code_url without walking its records', async () => {
      const jsapi = (await s.ok(alice, { action: 'pay', orderId: (await newOrder()).orderId, method: 'wechat' })) as Pay<'wechat'>;
      const native = (await s.ok(alice, { action: 'pay', orderId: (await newOrder()).orderId, method: 'native' })) as Pay<'native'>;
      const prepayId = jsapi.payment.package.replace(/^prepay_id=/, '');
      const e = holder();
      const walks = MAP_WALKS.map((m) => jest.spyOn(Map.prototype, m));
      const byPrepay = e.findByPrepayId(prepayId);
      const byCode = e.findByCodeUrl(native.codeUrl);
      expect(byPrepay).toMatchObject({ tradeType: 'JSAPI', prepayId });
      expect(byCode).toMatchObject({ tradeType: 'NATIVE', codeUrl: native.codeUrl });
      expect(e.findPayment(byPrepay!.id)).toBe(byPrepay);
      expect(e.findPayment(byCode!.id)).toBe(byCode);
      // A key of the wrong kind, or one spelled differently, finds nothing.
      expect(e.findByPrepayId(byCode!.id)).toBeUndefined();
      expect(e.findByCodeUrl(`weixin://wxpay/bizpayurl?pr=${byPrepay!.id}`)).toBeUndefined();
      expect(e.findByCodeUrl(`${native.codeUrl}&x=1`)).toBeUndefined();
      for (const w of walks) expect(w).not.toHaveBeenCalled();
    });
  });
}
