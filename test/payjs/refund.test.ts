import type { PayjsConfig } from '../../cloudfunctions/common/config';
import type { HttpReply, HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import type { RefundApplication } from '../../cloudfunctions/common/payment/refund';
import { PayjsProvider } from '../../cloudfunctions/common/payjs/provider';
import { payjsReferenceSign } from '../helpers/forge-payjs';
import { serveHttp, type Served } from '../helpers/loopback';

/**
 * PAYJS refunds (`POST /api/refund`, whole order by payjs_order_id) against a loopback PAYJS that checks
 * our sign with the reference signer and signs its answers the same way.
 */

const KEY = 'payjs-test-key-0001';
let api: Served;
let seen: Array<{ req: HttpRequestLike; form: Record<string, string> }>;
let answer: (form: Record<string, string>) => Record<string, string | number>;

beforeAll(async () => {
  api = await serveHttp(async (req): Promise<HttpReply> => {
    const form = Object.fromEntries(new URLSearchParams(req.rawBody.toString()));
    seen.push({ req, form });
    if (form.sign !== payjsReferenceSign(form, KEY)) return { statusCode: 200, headers: {}, body: JSON.stringify({ return_code: 0, return_msg: '签名错误' }) };
    const fields = answer(form);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...fields, sign: payjsReferenceSign(fields, KEY) }) };
  });
});
afterAll(() => api.close());
beforeEach(() => {
  seen = [];
  answer = (form) => ({ return_code: 1, return_msg: 'SUCCESS', payjs_order_id: form.payjs_order_id, out_trade_no: 'T20240101000001', transaction_id: '4200000000000000000000000001' });
});

const config = (): PayjsConfig => ({ mchid: '1500000001', key: KEY, apiBase: api.url, notifyUrl: 'https://example.com/payNotify' });
const provider = () => new PayjsProvider(config());
const whole = (over: Partial<RefundApplication> = {}): RefundApplication => ({
  outTradeNo: 'T20240101000001',
  outRefundNo: 'R20240101000001-1',
  totalFen: 980,
  amountFen: 980,
  providerOrderId: '2024010112000000000000001',
  ...over,
});

it('refunds the whole order by payjs_order_id; return_code 1 is final (PAYJS has no refund query or notification)', async () => {
  expect(await provider().refund(whole())).toEqual({ outRefundNo: 'R20240101000001-1', outTradeNo: 'T20240101000001', status: 'SUCCESS' });
  expect(seen.map((s) => [s.req.path, Object.keys(s.form).sort()])).toEqual([['/api/refund', ['payjs_order_id', 'sign']]]);
  expect(seen[0].form.payjs_order_id).toBe('2024010112000000000000001');
});

it('a partial amount, or an order whose PAYJS id is unknown: REFUND_UNAVAILABLE, nothing sent', async () => {
  await expect(provider().refund(whole({ amountFen: 300 }))).rejects.toMatchObject({ code: 'REFUND_UNAVAILABLE', message: expect.stringMatching(/only the whole order/) });
  await expect(provider().refund(whole({ providerOrderId: undefined }))).rejects.toMatchObject({ code: 'REFUND_UNAVAILABLE' });
  await expect(provider().refund(whole({ amountFen: 981 }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  expect(seen).toHaveLength(0);
});

it('a refusal, an unsigned answer or an answer about another order is an error, never SUCCESS', async () => {
  answer = (form) => ({ return_code: 0, return_msg: '订单已退款', payjs_order_id: form.payjs_order_id });
  await expect(provider().refund(whole())).rejects.toMatchObject({ code: 'PROVIDER_ERROR', providerCode: 'REFUND_FAILED' });
  await expect(new PayjsProvider({ ...config(), key: 'another-key' }).refund(whole())).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
  answer = (form) => ({ return_code: 1, payjs_order_id: form.payjs_order_id, out_trade_no: 'T-someone-else' });
  await expect(provider().refund(whole())).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringContaining('T-someone-else') });
});

it('queryRefund can only repeat the same whole-order refund, and reports what PAYJS answers', async () => {
  const query = { outTradeNo: 'T20240101000001', outRefundNo: 'R20240101000001-1', amountFen: 980, totalFen: 980, providerOrderId: '2024010112000000000000001' };
  expect(await provider().queryRefund(query)).toMatchObject({ status: 'SUCCESS' });
  answer = (form) => ({ return_code: 0, return_msg: '订单已退款', payjs_order_id: form.payjs_order_id });
  await expect(provider().queryRefund(query)).rejects.toMatchObject({ providerCode: 'REFUND_FAILED' });
  expect(seen.map((s) => s.form.payjs_order_id)).toEqual([query.providerOrderId, query.providerOrderId]);
});
