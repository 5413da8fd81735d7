import type { Config, WxPayV3Config } from '../../cloudfunctions/common/config';
import { AppError } from '../../cloudfunctions/common/errors';
import { tradeOf, type OrderContext } from '../../cloudfunctions/common/orders/context';
import type { OrderDoc } from '../../cloudfunctions/common/orders/model';
import type { WxPayGateway } from '../../cloudfunctions/common/payment/gateway';
import { createProviders, routeOf } from '../../cloudfunctions/common/payment/providers';
import type { RefundApplication } from '../../cloudfunctions/common/payment/refund';
import { startContext } from '../../cloudfunctions/common/start';
import { WxPayProvider } from '../../cloudfunctions/common/wxpay/provider';
import { handleNotify } from '../../cloudfunctions/payNotify/src/handler';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';
import { signedForm } from '../payjs/helpers';
import { makeV3Keys } from '../helpers/wxpay-keys';

/** The registry: which provider an order, a method or a notification gets. */

const keys = makeV3Keys();
const payjs = { mchid: '1500000001', key: 'payjs-key', apiBase: 'https://payjs.cn', notifyUrl: 'https://example.com/payNotify' };
// Only what the registry reads; the rest of Config does not matter to it.
const base = { orderTtlSeconds: 1800, maxPendingOrders: 10 } as Omit<Config, 'wxpay' | 'payjs'>;
const v3Only: Config = { ...base, wxpay: keys.config('https://api.mch.weixin.qq.com') };
const both: Config = { ...v3Only, payjs };
const attempt = (provider: 'wxpay-v3' | 'wxpay-v2' | 'payjs') => ({ payment: { provider, tradeType: 'JSAPI' as const, placedAt: 1 } });

it('a new payment gets the provider configured for its method, or METHOD_UNAVAILABLE naming it', () => {
  const providers = createProviders(v3Only);
  expect(providers.forMethod('wechat').name).toBe('wxpay-v3');
  expect(providers.forMethod('native')).toBe(providers.forMethod('wechat'));
  expect(() => providers.forMethod('payjs')).toThrow(new AppError('METHOD_UNAVAILABLE', 'PAYJS is not configured on this deployment.'));
  expect(() => createProviders({ ...base, payjs }).forMethod('wechat')).toThrow('WeChat Pay is not configured on this deployment.');
});

it("an order gets the provider its trade was placed with, when this deployment still has it", () => {
  const providers = createProviders(both);
  expect(providers.forOrder(attempt('payjs'))?.name).toBe('payjs');
  expect(providers.forOrder(attempt('wxpay-v3'))?.name).toBe('wxpay-v3');
  expect(providers.forOrder(attempt('wxpay-v2'))).toBeUndefined();
  expect(providers.forOrder({})).toBeUndefined();
});

it('a notification gets the configured provider whose notifications it looks like', () => {
  const providers = createProviders(v3Only);
  const req = (headers: Record<string, string>, body = '') => ({ method: 'POST', path: '/', headers, rawBody: Buffer.from(body) });
  expect(providers.forNotification(req({ 'wechatpay-signature': 'x' }))?.name).toBe('wxpay-v3');
  expect(routeOf(req({ 'content-type': 'application/x-www-form-urlencoded' }))).toBe('payjs');
  expect(providers.forNotification(req({ 'content-type': 'application/x-www-form-urlencoded' }))).toBeUndefined();
  expect(providers.forNotification(req({}, '<xml></xml>'))).toBeUndefined();
});

it('WeChat Pay refunds notify WXPAY_REFUND_NOTIFY_URL unless told otherwise', async () => {
  const sent: RefundApplication[] = [];
  const gateway = { version: 'v3', refund: async (a: RefundApplication) => (sent.push(a), { outRefundNo: a.outRefundNo, status: 'PROCESSING' as const }) } as unknown as WxPayGateway;
  const config: WxPayV3Config = { ...keys.config('https://api.mch.weixin.qq.com'), refundNotifyUrl: 'https://example.com/refundNotify' };
  const provider = new WxPayProvider(gateway, config);
  const application = { outTradeNo: 'T1', outRefundNo: 'R1', totalFen: 100, amountFen: 100 };
  await provider.refund(application);
  await provider.refund({ ...application, notifyUrl: 'https://example.com/elsewhere' });
  expect(sent.map((a) => a.notifyUrl)).toEqual(['https://example.com/refundNotify', 'https://example.com/elsewhere']);
});

it("a verified PAYJS payment records PAYJS's order id on the order, which its refund goes by", async () => {
  const ctx = startContext(createMemoryDatabase(), { PAYJS_MCHID: payjs.mchid, PAYJS_KEY: payjs.key, PAYJS_NOTIFY_URL: payjs.notifyUrl }) as OrderContext;
  const order: OrderDoc = {
    _id: 'o1',
    _openid: 'alice',
    outTradeNo: 'T20240101000001',
    status: 'PENDING',
    amountFen: 980,
    items: [{ skuId: 's1', name: '咖啡', priceFen: 980, quantity: 1 }] as OrderDoc['items'],
    createdAt: 1,
    expiresAt: Date.now() + 600_000,
    payMethod: 'payjs',
    payment: { provider: 'payjs', tradeType: 'PAYJS', placedAt: 1 },
  };
  await ctx.repo.insert(order);
  const form = { return_code: '1', total_fee: '980', out_trade_no: order.outTradeNo, payjs_order_id: '2024010112000000000000001', transaction_id: '42000000001', time_end: '2024-01-01 12:00:05', mchid: payjs.mchid };
  const reply = await handleNotify({ httpMethod: 'POST', path: '/payNotify', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: signedForm(form, payjs.key).toString() }, ctx);
  expect([reply.statusCode, reply.body]).toEqual([200, 'success']);
  const paid = (await ctx.repo.get('o1'))!;
  expect(paid).toMatchObject({ status: 'PAID', transactionId: '42000000001' });
  expect(tradeOf(paid).providerOrderId).toBe('2024010112000000000000001');
});
