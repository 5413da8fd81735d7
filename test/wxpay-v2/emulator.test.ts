import { Hash } from 'wechatpay-axios-plugin';
import type { V2SignType } from '../../cloudfunctions/common/config';
import { toCompactBeijing } from '../../cloudfunctions/common/time';
import { nonceStr, type V2Fields, withSign } from '../../cloudfunctions/common/wxpay/v2/sign';
import { parseXml, toXml } from '../../cloudfunctions/common/wxpay/v2/xml';
import { Notifier } from '../../scripts/local-host/emulators/notifier';
import type { EmuRequest } from '../../scripts/local-host/emulators/types';
import { createWxPayV2Emulator, wxpayV2NotifyAccepted } from '../../scripts/local-host/emulators/wxpay-v2';
import { merchant } from './helpers';

const m = merchant();
let clock = Date.UTC(2024, 5, 1, 4, 0, 0);
const notifier = new Notifier({ scheduleMs: [], isAccepted: wxpayV2NotifyAccepted, timeoutMs: 500 });
const emu = createWxPayV2Emulator({ merchant: m, notifier, now: () => clock });
afterAll(() => notifier.stop());

const req = (path: string, body: string, method = 'POST'): EmuRequest => ({ method, path, query: new URLSearchParams(), headers: {}, rawBody: Buffer.from(body) });
let seq = 0;
function order(over: V2Fields = {}): V2Fields {
  return {
    appid: m.appid, mch_id: m.mchid, nonce_str: nonceStr(), body: '商品', out_trade_no: `E${++seq}`, total_fee: 100,
    spbill_create_ip: '127.0.0.1', time_expire: toCompactBeijing(clock + 600_000), notify_url: 'http://127.0.0.1:9/n', trade_type: 'JSAPI', openid: 'o1', ...over,
  };
}
async function call(path: string, fields: V2Fields, signType: V2SignType = 'MD5') {
  const reply = await emu.handle(req(path, toXml(withSign({ ...fields, sign_type: signType === 'MD5' ? undefined : signType }, signType, m.key))));
  return parseXml(reply!.body);
}

test('answers only its three paths, records every request, applies faults first', async () => {
  expect(await emu.handle(req('/v3/pay/transactions/jsapi', '{}'))).toBeUndefined();
  emu.faults.add({ pathIncludes: '/pay/orderquery', kind: 'reply', reply: { statusCode: 502, headers: {}, body: 'bad gateway' }, times: 1 });
  expect(await emu.handle(req('/pay/orderquery', 'x'))).toMatchObject({ statusCode: 502 });
  expect(emu.received.map((r) => r.path)).toEqual(['/pay/orderquery']);
});

test('requests it cannot read get an unsigned return_code FAIL', async () => {
  for (const [body, method] of [['not xml', 'POST'], [toXml(order()), 'POST'], [toXml({ ...order(), sign: 'X', sign_type: 'SHA1' }), 'POST'], [toXml(order()), 'GET']]) {
    const f = parseXml((await emu.handle(req('/pay/unifiedorder', body, method)))!.body);
    expect(f.return_code).toBe('FAIL');
    expect(f).not.toHaveProperty('sign');
  }
});

test.each<V2SignType>(['MD5', 'HMAC-SHA256'])('a bad request sign gets SIGNERROR; answers are signed with the request sign type (%s)', async (type) => {
  const bad = await emu.handle(req('/pay/unifiedorder', toXml({ ...withSign(order(), type, m.key), sign_type: type, total_fee: '1' })));
  expect(parseXml(bad!.body)).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'SIGNERROR' });
  const ok = await call('/pay/unifiedorder', order(), type);
  expect(ok).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', trade_type: 'JSAPI', appid: m.appid, mch_id: m.mchid });
  expect(ok.prepay_id).toMatch(/^wx\w{28}$/);
  expect(ok.sign).toBe(Hash.sign(type, ok, m.key));
});

test.each<[string, V2Fields]>([
  ['JSAPI without openid', { openid: undefined }],
  ['NATIVE without product_id', { trade_type: 'NATIVE', openid: undefined }],
  ['a fractional total_fee', { total_fee: '9.80' }],
  ['a zero total_fee', { total_fee: 0 }],
  ['a body over 128 bytes', { body: '长'.repeat(43) }],
  ['a bad trade_type', { trade_type: 'APP' }],
  ['a past time_expire', { time_expire: toCompactBeijing(clock - 1000) }],
  ['a malformed time_expire', { time_expire: '2024-06-01' }],
  ['a notify_url with a query', { notify_url: 'https://x.example/n?a=1' }],
  ['a long out_trade_no', { out_trade_no: 'x'.repeat(33) }],
])('PARAM_ERROR for %s, and no order is created', async (_, over) => {
  const fields = order(over);
  expect(await call('/pay/unifiedorder', fields)).toMatchObject({ result_code: 'FAIL', err_code: 'PARAM_ERROR' });
  expect(emu.list().some((p) => p.outTradeNo === fields.out_trade_no)).toBe(false);
});

test('another appid for this mch_id gets APPID_MCHID_NOT_MATCH', async () => {
  expect(await call('/pay/unifiedorder', order({ appid: 'wx1111111111111111' }))).toMatchObject({ result_code: 'FAIL', err_code: 'APPID_MCHID_NOT_MATCH' });
});

test('same out_trade_no: same parameters → same prepay_id (new nonce and IP do not matter), others → OUT_TRADE_NO_USED', async () => {
  const fields = order();
  const a = await call('/pay/unifiedorder', fields);
  const b = await call('/pay/unifiedorder', { ...fields, nonce_str: nonceStr(), spbill_create_ip: '10.0.0.1' });
  expect(b.prepay_id).toBe(a.prepay_id);
  expect(await call('/pay/unifiedorder', { ...fields, body: '别的' })).toMatchObject({ err_code: 'OUT_TRADE_NO_USED' });
  expect(await call('/pay/unifiedorder', fields, 'HMAC-SHA256')).toMatchObject({ err_code: 'OUT_TRADE_NO_USED' });
});

test('query by transaction_id, ORDERNOTEXIST for unknown orders, PAYERROR then SUCCESS', async () => {
  const fields = order({ trade_type: 'NATIVE', openid: undefined, product_id: 'P1' });
  const placed = await call('/pay/unifiedorder', fields);
  expect(placed.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
  expect(await call('/pay/orderquery', { appid: m.appid, mch_id: m.mchid, nonce_str: nonceStr(), out_trade_no: 'NOPE' })).toMatchObject({ err_code: 'ORDERNOTEXIST' });
  await emu.scan(placed.code_url, 'fail');
  const q = { appid: m.appid, mch_id: m.mchid, nonce_str: nonceStr(), out_trade_no: fields.out_trade_no };
  expect(await call('/pay/orderquery', q)).toMatchObject({ trade_state: 'PAYERROR', total_fee: '100' });
  clock += 5000;
  const paid = await emu.scan(placed.code_url, 'pay');
  const byTx = await call('/pay/orderquery', { appid: m.appid, mch_id: m.mchid, nonce_str: nonceStr(), transaction_id: paid.transactionId });
  expect(byTx).toMatchObject({ trade_state: 'SUCCESS', out_trade_no: fields.out_trade_no, total_fee: '100', transaction_id: paid.transactionId, time_end: toCompactBeijing(clock), openid: paid.openid });
  await expect(emu.scan(placed.code_url, 'pay')).rejects.toMatchObject({ statusCode: 409 });
});

test('payer actions: unknown ids are 404, an expired order cannot be paid', async () => {
  await expect(emu.settle('nope', 'pay')).rejects.toMatchObject({ statusCode: 404 });
  await expect(emu.scan('weixin://wxpay/bizpayurl?pr=nope', 'pay')).rejects.toMatchObject({ statusCode: 404 });
  const fields = order({ trade_type: 'NATIVE', openid: undefined, product_id: 'P2' });
  const placed = await call('/pay/unifiedorder', fields);
  clock += 601_000;
  await expect(emu.scan(placed.code_url, 'pay')).rejects.toThrow(/过期/);
  expect(emu.list().find((p) => p.outTradeNo === fields.out_trade_no)?.status).toBe('WAITING');
});
