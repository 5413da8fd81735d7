import * as crypto from 'node:crypto';
import { paySignMessage, rsaSign, authorizationHeader, type RequestSigner } from '../../cloudfunctions/common/wxpay/v3/signing';
import { verifyWechatpaySignature } from '../../cloudfunctions/common/wxpay/v3/verify';
import { toRfc3339Beijing } from '../../cloudfunctions/common/time';
import type { EmuReply } from '../../scripts/local-host/emulators/types';
import { EmulatorRefusal } from '../../scripts/local-host/emulators/types';
import { createWxPayV3Emulator } from '../../scripts/local-host/emulators/wxpay-v3';
import { makeV3Keys } from '../helpers/wxpay-keys';
import { testNotifier } from './loopback';

const keys = makeV3Keys();
const platformKeys = keys.config('https://api.mch.weixin.qq.com').platformKeys;
const notifier = testNotifier();
const merchantSigner: RequestSigner = { mchid: keys.merchant.mchid, serialNo: keys.merchant.certSerial, privateKey: keys.merchant.privateKey };
let clock = Date.now();

const newEmulator = () =>
  createWxPayV3Emulator({
    merchant: { mchid: keys.merchant.mchid, appid: keys.merchant.appid, certSerial: keys.merchant.certSerial, publicKey: keys.merchant.publicKey, apiV3Key: keys.merchant.apiV3Key },
    platform: { publicKeyId: keys.platform.publicKeyId, privateKey: keys.platform.privateKey, certificate: keys.platform.certificate },
    notifier,
    now: () => clock,
  });
let emulator = newEmulator();

beforeEach(() => {
  clock = Date.now();
  emulator = newEmulator();
});
afterAll(() => notifier.stop());

async function call(method: string, pathWithQuery: string, body = '', opts: { signer?: RequestSigner; at?: number; authorization?: string } = {}): Promise<EmuReply> {
  const [path, qs = ''] = pathWithQuery.split('?');
  const authorization = opts.authorization ?? authorizationHeader(opts.signer ?? merchantSigner, { method, pathWithQuery, body, nowMs: opts.at ?? clock });
  const reply = await emulator.handle({ method, path, query: new URLSearchParams(qs), headers: { authorization, 'content-type': 'application/json' }, rawBody: Buffer.from(body) });
  if (!reply) throw new Error('emulator did not answer');
  return reply;
}

const jsapiBody = (over: Record<string, unknown> = {}) => ({
  appid: keys.merchant.appid,
  mchid: keys.merchant.mchid,
  description: 'Image形象店-深圳腾大-QQ公仔',
  out_trade_no: '1217752501201407033233368018',
  time_expire: toRfc3339Beijing(clock + 30 * 60_000),
  notify_url: 'https://www.weixin.qq.com/wxpay/pay.php',
  amount: { total: 100, currency: 'CNY' },
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  ...over,
});

const place = (over: Record<string, unknown> = {}) => call('POST', '/v3/pay/transactions/jsapi', JSON.stringify(jsapiBody(over)));
const codeOf = (r: EmuReply) => (r.body ? (JSON.parse(r.body) as { code?: string }).code : undefined);

it('answers only /v3/ paths', async () => {
  expect(await emulator.handle({ method: 'POST', path: '/pay/unifiedorder', query: new URLSearchParams(), headers: {}, rawBody: Buffer.alloc(0) })).toBeUndefined();
  expect(emulator.received).toHaveLength(0);
});

it('signs every answer, errors included, with the platform key', async () => {
  const ok = await place();
  const bad = await call('GET', `/v3/pay/transactions/out-trade-no/NOPE_000001?mchid=${keys.merchant.mchid}`);
  expect([ok.statusCode, bad.statusCode, codeOf(bad)]).toEqual([200, 404, 'ORDER_NOT_EXIST']);
  for (const r of [ok, bad]) expect(verifyWechatpaySignature(r.headers, Buffer.from(r.body), platformKeys, clock)).toBe(keys.platform.publicKeyId);
});

describe('request authentication (401 SIGN_ERROR)', () => {
  const body = JSON.stringify(jsapiBody());

  it.each([
    ['a missing Authorization', { authorization: '' }],
    ['another merchant key', { signer: { ...merchantSigner, privateKey: keys.platform.privateKey } }],
    ['an unknown certificate serial', { signer: { ...merchantSigner, serialNo: 'ABCDEF0123456789' } }],
    ['an unknown mchid', { signer: { ...merchantSigner, mchid: '1900000999' } }],
    ['a timestamp 6 minutes old', { at: Date.now() - 6 * 60_000 }],
  ])('refuses %s', async (_what, opts) => {
    const r = await call('POST', '/v3/pay/transactions/jsapi', body, opts);
    expect([r.statusCode, codeOf(r)]).toEqual([401, 'SIGN_ERROR']);
    expect(emulator.list()).toHaveLength(0);
  });

  it('refuses a signature over another body', async () => {
    const authorization = authorizationHeader(merchantSigner, { method: 'POST', pathWithQuery: '/v3/pay/transactions/jsapi', body, nowMs: clock });
    const r = await call('POST', '/v3/pay/transactions/jsapi', body.replace('"total":100', '"total":1'), { authorization });
    expect(r.statusCode).toBe(401);
  });

  it('refuses a signature over another query string', async () => {
    const authorization = authorizationHeader(merchantSigner, { method: 'GET', pathWithQuery: '/v3/pay/transactions/out-trade-no/ABCDEF?mchid=1', body: '', nowMs: clock });
    const r = await call('GET', `/v3/pay/transactions/out-trade-no/ABCDEF?mchid=${keys.merchant.mchid}`, '', { authorization });
    expect(r.statusCode).toBe(401);
  });
});

describe('order validation (400)', () => {
  it.each([
    ['a fractional amount', { amount: { total: 9.8, currency: 'CNY' } }, 'PARAM_ERROR'],
    ['a zero amount', { amount: { total: 0 } }, 'PARAM_ERROR'],
    ['an amount as a string', { amount: { total: '100' } }, 'PARAM_ERROR'],
    ['another currency', { amount: { total: 100, currency: 'USD' } }, 'PARAM_ERROR'],
    ['a short out_trade_no', { out_trade_no: '12345' }, 'PARAM_ERROR'],
    ['an out_trade_no with a space', { out_trade_no: 'ABC 123456' }, 'PARAM_ERROR'],
    ['a 33-character out_trade_no', { out_trade_no: 'A'.repeat(33) }, 'PARAM_ERROR'],
    ['a non-RFC 3339 time_expire', { time_expire: '20240101120000' }, 'PARAM_ERROR'],
    ['an http notify_url off loopback', { notify_url: 'http://example.com/notify' }, 'PARAM_ERROR'],
    ['a notify_url with a query', { notify_url: 'https://example.com/notify?x=1' }, 'PARAM_ERROR'],
    ['a null value', { attach: null }, 'PARAM_ERROR'],
    ['a missing payer', { payer: undefined }, 'PARAM_ERROR'],
    ['a missing description', { description: undefined }, 'PARAM_ERROR'],
    ['a 128-byte description', { description: '长'.repeat(42) + 'xx' }, 'PARAM_ERROR'],
    ['another mchid in the body', { mchid: '1900000999' }, 'PARAM_ERROR'],
    ['an appid not bound to the merchant', { appid: 'wx0000000000000000' }, 'APPID_MCHID_NOT_MATCH'],
  ])('refuses %s', async (_what, over, code) => {
    const r = await place(over);
    expect([r.statusCode, codeOf(r)]).toEqual([400, code]);
    expect(emulator.list()).toHaveLength(0);
  });

  it('accepts http notify_url on 127.0.0.1 (the local host) and a 127-byte description', async () => {
    const r = await place({ notify_url: 'http://127.0.0.1:3000/pay-notify', description: '长'.repeat(42) + 'x' });
    expect(r.statusCode).toBe(200);
  });

  it('refuses a body that is not JSON', async () => {
    const r = await call('POST', '/v3/pay/transactions/native', '{"appid":');
    expect([r.statusCode, codeOf(r)]).toEqual([400, 'PARAM_ERROR']);
  });
});

describe('payer side', () => {
  async function placed(over: Record<string, unknown> = {}) {
    const r = await place(over);
    const prepayId = (JSON.parse(r.body) as { prepay_id: string }).prepay_id;
    const timeStamp = String(Math.floor(clock / 1000));
    const nonceStr = 'A'.repeat(32);
    const pkg = `prepay_id=${prepayId}`;
    const paySign = rsaSign(paySignMessage(keys.merchant.appid, timeStamp, nonceStr, pkg), keys.merchant.privateKey);
    return { prepayId, params: { timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign } };
  }

  it('records the query state for each payer outcome', async () => {
    const { prepayId } = await placed();
    const q = async () => JSON.parse((await call('GET', `/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=${keys.merchant.mchid}`)).body);
    expect((await emulator.settle(prepayId, 'cancel')).lastOutcome).toBe('cancel');
    expect((await q()).trade_state).toBe('NOTPAY');
    await emulator.settle(prepayId, 'fail');
    expect((await q()).trade_state).toBe('PAYERROR');
  });

  it.each([
    ['a paySign over another appId', (p: Record<string, string>) => ({ ...p, paySign: rsaSign(paySignMessage('wx1111111111111111', p.timeStamp, p.nonceStr, p.package), keys.merchant.privateKey) })],
    ['a paySign by another key', (p: Record<string, string>) => ({ ...p, paySign: rsaSign(paySignMessage(keys.merchant.appid, p.timeStamp, p.nonceStr, p.package), keys.platform.privateKey) })],
    ['signType MD5', (p: Record<string, string>) => ({ ...p, signType: 'MD5' })],
    ['a millisecond timeStamp', (p: Record<string, string>) => ({ ...p, timeStamp: `${p.timeStamp}000` })],
    ['a package without prepay_id=', (p: Record<string, string>) => ({ ...p, package: p.package.replace('prepay_id=', '') })],
  ])('requestPayment refuses %s', async (_what, change) => {
    const { params } = await placed();
    await expect(emulator.requestPayment(change(params) as typeof params, 'pay')).rejects.toBeInstanceOf(EmulatorRefusal);
    expect(emulator.list()[0].status).toBe('WAITING');
  });

  it('refuses unknown ids and expired trades', async () => {
    await expect(emulator.settle('wx-nope', 'pay')).rejects.toMatchObject({ statusCode: 404 });
    await expect(emulator.scan('weixin://wxpay/bizpayurl?pr=nope', 'pay')).rejects.toMatchObject({ statusCode: 404 });
    const { params } = await placed({ time_expire: toRfc3339Beijing(clock + 60_000) });
    clock += 61_000;
    await expect(emulator.requestPayment(params, 'pay')).rejects.toThrow(/过期/);
  });

  it('records every request, faulted ones included', async () => {
    emulator.faults.add({ pathIncludes: '/jsapi', kind: 'reply', reply: { statusCode: 503, headers: {}, body: '' }, times: 1 });
    expect((await place()).statusCode).toBe(503);
    expect((await place()).statusCode).toBe(200);
    expect(emulator.received.map((r) => r.path)).toEqual(['/v3/pay/transactions/jsapi', '/v3/pay/transactions/jsapi']);
  });
});

it('the generated key material is distinct per role', () => {
  const pems = [keys.merchant.publicKey, keys.platform.publicKey, crypto.createPublicKey(keys.platform.certificate.pem)].map((k) => k.export({ type: 'spki', format: 'der' }).toString('hex'));
  expect(new Set(pems).size).toBe(3);
});

it('with a pathPrefix, checks the signature over the full path the merchant sent', async () => {
  const mounted = createWxPayV3Emulator({
    merchant: { mchid: keys.merchant.mchid, appid: keys.merchant.appid, certSerial: keys.merchant.certSerial, publicKey: keys.merchant.publicKey, apiV3Key: keys.merchant.apiV3Key },
    platform: { publicKeyId: keys.platform.publicKeyId, privateKey: keys.platform.privateKey },
    notifier,
    now: () => clock,
    pathPrefix: '/wxpay',
  });
  const body = JSON.stringify(jsapiBody());
  const send = (signedPath: string) =>
    mounted.handle({
      method: 'POST',
      path: '/v3/pay/transactions/jsapi',
      query: new URLSearchParams(),
      headers: { authorization: authorizationHeader(merchantSigner, { method: 'POST', pathWithQuery: signedPath, body, nowMs: clock }) },
      rawBody: Buffer.from(body),
    });
  expect((await send('/v3/pay/transactions/jsapi'))?.statusCode).toBe(401);
  expect((await send('/wxpay/v3/pay/transactions/jsapi'))?.statusCode).toBe(200);
});
