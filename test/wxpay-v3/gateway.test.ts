import * as crypto from 'node:crypto';
import { AppError, ProviderError } from '../../cloudfunctions/common/errors';
import { NotificationRejected, type HttpRequestLike, type PrepayRequest } from '../../cloudfunctions/common/payment/gateway';
import { encryptResource } from '../../cloudfunctions/common/wxpay/v3/aead';
import { WxPayV3Gateway } from '../../cloudfunctions/common/wxpay/v3/gateway';
import { wechatpayHeaders } from '../../cloudfunctions/common/wxpay/v3/signing';
import { Faults } from '../../scripts/local-host/emulators/faults';
import { EmulatorRefusal } from '../../scripts/local-host/emulators/types';
import { createWxPayV3Emulator, type WxPayV3Emulator } from '../../scripts/local-host/emulators/wxpay-v3';
import { makeV3Keys } from '../helpers/wxpay-keys';
import { serveEmulator, serveNotify, until, type Served as Loopback } from '../helpers/loopback';
import { testNotifier } from './loopback';

const keys = makeV3Keys();
const notifier = testNotifier();
const noDelay = { attempts: 3, firstDelayMs: 1 };
// Mounted under a prefix, as in the local host (WXPAY_API_BASE = http://127.0.0.1:port/wxpay).
const PREFIX = '/wxpay';

let emulator: WxPayV3Emulator;
let api: Loopback;
let notify: Loopback & { received: HttpRequestLike[] };
let gateway: WxPayV3Gateway;
let seq = 0;

function emulatorFor(signWith: 'publicKey' | 'certificate' = 'publicKey') {
  return createWxPayV3Emulator({
    merchant: { mchid: keys.merchant.mchid, appid: keys.merchant.appid, certSerial: keys.merchant.certSerial, publicKey: keys.merchant.publicKey, apiV3Key: keys.merchant.apiV3Key },
    platform: { publicKeyId: keys.platform.publicKeyId, privateKey: keys.platform.privateKey, certificate: keys.platform.certificate, signWith },
    notifier,
    faults: new Faults(),
    pathPrefix: PREFIX,
  });
}

const order = (over: Partial<PrepayRequest> = {}): PrepayRequest => ({
  outTradeNo: `T${Date.now()}${String(++seq).padStart(4, '0')}`,
  description: '测试商品 x1',
  amountFen: 980,
  expiresAt: Date.now() + 30 * 60_000,
  notifyUrl: `${notify.url}/pay-notify`,
  tradeType: 'JSAPI',
  openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
  ...over,
});

async function expectProviderError(p: Promise<unknown>, code: string | undefined, retryable = false): Promise<ProviderError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  expect((e as ProviderError).providerCode).toBe(code);
  expect((e as ProviderError).retryable).toBe(retryable);
  return e as ProviderError;
}

beforeAll(async () => {
  notify = await serveNotify(async (req) => {
    try {
      await gateway.readNotification(req);
      return gateway.ackNotification();
    } catch (e) {
      if (e instanceof NotificationRejected) return gateway.rejectNotification(e.statusCode, e.message);
      throw e;
    }
  });
});

beforeEach(async () => {
  emulator = emulatorFor();
  api = await serveEmulator((r) => emulator.handle(r), PREFIX);
  gateway = new WxPayV3Gateway(keys.config(api.url + PREFIX), { retry: noDelay, timeoutMs: 2000 });
});

afterEach(async () => {
  notifier.stop();
  await api.close();
});

afterAll(() => notify.close());

describe('prepay', () => {
  it('places a JSAPI order with the documented body and gets a prepay_id', async () => {
    const req = order();
    const result = await gateway.prepay(req);
    expect(result).toEqual({ tradeType: 'JSAPI', prepayId: expect.stringMatching(/^wx[0-9a-f]{28}$/), signType: 'RSA' });
    expect(emulator.received).toHaveLength(1);
    const sent = emulator.received[0];
    expect(sent).toMatchObject({ method: 'POST', path: '/v3/pay/transactions/jsapi' });
    expect(JSON.parse(sent.body)).toEqual({
      appid: keys.merchant.appid,
      mchid: keys.merchant.mchid,
      description: req.description,
      out_trade_no: req.outTradeNo,
      time_expire: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
      notify_url: req.notifyUrl,
      amount: { total: 980, currency: 'CNY' },
      payer: { openid: req.openid },
    });
    expect(sent.body).not.toContain('null');
    expect(Date.parse(JSON.parse(sent.body).time_expire)).toBe(Math.floor(req.expiresAt / 1000) * 1000);
  });

  it('sends attach only when set, and places a Native order without payer', async () => {
    const result = await gateway.prepay(order({ tradeType: 'NATIVE', openid: undefined, attach: 'order:42' }));
    expect(result).toEqual({ tradeType: 'NATIVE', codeUrl: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=\S+$/), signType: 'RSA' });
    const body = JSON.parse(emulator.received[0].body);
    expect(emulator.received[0].path).toBe('/v3/pay/transactions/native');
    expect(body.attach).toBe('order:42');
    expect(body).not.toHaveProperty('payer');
  });

  it('re-placing with the same parameters returns the same prepay_id; other parameters are refused', async () => {
    const req = order();
    const first = await gateway.prepay(req);
    expect(await gateway.prepay({ ...req })).toEqual(first);
    await expectProviderError(gateway.prepay({ ...req, amountFen: 990 }), 'INVALID_REQUEST');
    // A refusal is final: no retry was sent.
    expect(emulator.received).toHaveLength(3);
  });

  it.each([
    ['a fractional amount', { amountFen: 9.8 }],
    ['a zero amount', { amountFen: 0 }],
    ['a JSAPI order without openid', { openid: undefined }],
    ['a bad out_trade_no', { outTradeNo: 'abc' }],
    ['an over-long description', { description: '长'.repeat(43) }],
  ])('refuses %s before sending anything', async (_what, over) => {
    const e = await gateway.prepay(order(over)).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('INVALID_ARGUMENT');
    expect(emulator.received).toHaveLength(0);
  });
});

describe('retries and forged answers', () => {
  const systemError = { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"code":"SYSTEM_ERROR","message":"系统繁忙，请稍后重试"}' };

  it('retries a 5xx with the identical body', async () => {
    emulator.faults.add({ pathIncludes: '/jsapi', kind: 'reply', reply: systemError, times: 1 });
    const result = await gateway.prepay(order());
    expect(result.tradeType).toBe('JSAPI');
    expect(emulator.received).toHaveLength(2);
    expect(emulator.received[1].body).toBe(emulator.received[0].body);
  });

  it('retries after a timeout with the identical body', async () => {
    gateway = new WxPayV3Gateway(keys.config(api.url + PREFIX), { retry: noDelay, timeoutMs: 150 });
    emulator.faults.add({ pathIncludes: '/jsapi', kind: 'delay', ms: 400, times: 1 });
    const result = await gateway.prepay(order());
    expect(result.tradeType).toBe('JSAPI');
    expect(emulator.received).toHaveLength(2);
    expect(emulator.received[1].body).toBe(emulator.received[0].body);
    // The timed-out attempt was still placed at the platform; the retry got the same order back.
    expect(emulator.list()).toHaveLength(1);
  });

  it('gives up after the policy, with a retryable error', async () => {
    emulator.faults.add({ pathIncludes: '/jsapi', kind: 'reply', reply: systemError, times: 5 });
    await expectProviderError(gateway.prepay(order()), 'SYSTEM_ERROR', true);
    expect(emulator.received).toHaveLength(3);
  });

  it('treats FREQUENCY_LIMITED as retryable', async () => {
    emulator.faults.add({ pathIncludes: '/out-trade-no/', kind: 'reply', reply: { ...systemError, statusCode: 429, body: '{"code":"FREQUENCY_LIMITED","message":"频率超限"}' }, times: 1 });
    expect((await gateway.query('T000000000001')).state).toBe('NOTPAY');
    expect(emulator.received).toHaveLength(2);
  });

  it('rejects a 200 answer signed with the wrong key, or not signed at all', async () => {
    const body = '{"prepay_id":"wx00000000000000forged000000000"}';
    const forged = { ...wechatpayHeaders(body, { serial: keys.platform.publicKeyId, privateKey: keys.merchant.privateKey }, Date.now()), 'content-type': 'application/json' };
    emulator.faults.add({ pathIncludes: '/jsapi', kind: 'reply', reply: { statusCode: 200, headers: forged, body }, times: 1 });
    await expectProviderError(gateway.prepay(order()), 'ANSWER_SIGNATURE_INVALID');
    emulator.faults.add({ pathIncludes: '/jsapi', kind: 'reply', reply: { statusCode: 200, headers: {}, body }, times: 1 });
    await expectProviderError(gateway.prepay(order()), 'ANSWER_SIGNATURE_INVALID');
  });

  it('rejects a correctly signed but stale answer (replay)', async () => {
    const body = '{"prepay_id":"wx00000000000000replay000000000"}';
    const old = wechatpayHeaders(body, { serial: keys.platform.publicKeyId, privateKey: keys.platform.privateKey }, Date.now() - 10 * 60_000);
    emulator.faults.add({ pathIncludes: '/jsapi', kind: 'reply', reply: { statusCode: 200, headers: old, body }, times: 1 });
    await expectProviderError(gateway.prepay(order()), 'ANSWER_SIGNATURE_INVALID');
  });

  it('works when WeChat Pay signs with the platform certificate instead of the public key', async () => {
    await api.close();
    emulator = emulatorFor('certificate');
    api = await serveEmulator((r) => emulator.handle(r), PREFIX);
    gateway = new WxPayV3Gateway(keys.config(api.url + PREFIX), { retry: noDelay });
    const req = order();
    await gateway.prepay(req);
    expect((await gateway.query(req.outTradeNo)).state).toBe('NOTPAY');
  });

  it('surfaces the platform refusing our signature (wrong merchant key)', async () => {
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    gateway = new WxPayV3Gateway({ ...keys.config(api.url + PREFIX), privateKey: other.privateKey }, { retry: noDelay });
    await expectProviderError(gateway.prepay(order()), 'SIGN_ERROR');
  });
});

describe('query, close and payment', () => {
  it('reports NOTPAY for a trade never placed, and for a placed unpaid one', async () => {
    expect(await gateway.query('NEVER_PLACED_001')).toEqual({ outTradeNo: 'NEVER_PLACED_001', state: 'NOTPAY' });
    const req = order();
    await gateway.prepay(req);
    expect(await gateway.query(req.outTradeNo)).toEqual({ outTradeNo: req.outTradeNo, state: 'NOTPAY', appid: keys.merchant.appid, mchid: keys.merchant.mchid });
    expect(emulator.received[2].path).toBe(`/v3/pay/transactions/out-trade-no/${req.outTradeNo}?mchid=${keys.merchant.mchid}`);
  });

  it('pays through wx.requestPayment: notification verified, decrypted and acknowledged; query agrees', async () => {
    const req = order({ outTradeNo: `P|${Date.now()}*x` });
    const prepay = await gateway.prepay(req);
    if (prepay.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    const params = gateway.requestPaymentParams(prepay.prepayId, 'RSA');
    expect(params).toMatchObject({ timeStamp: expect.stringMatching(/^\d{10}$/), nonceStr: expect.stringMatching(/^[0-9A-F]{32}$/), package: `prepay_id=${prepay.prepayId}`, signType: 'RSA' });

    const before = notify.received.length;
    const paid = await emulator.requestPayment(params, 'pay');
    expect(paid.status).toBe('PAID');
    expect(paid.deliveries).toEqual([expect.objectContaining({ attempt: 1, statusCode: 204, accepted: true })]);

    const note = notify.received[before];
    expect(note.path).toBe('/pay-notify');
    const report = await gateway.readNotification(note);
    expect(report).toEqual({
      outTradeNo: req.outTradeNo,
      state: 'SUCCESS',
      appid: keys.merchant.appid,
      mchid: keys.merchant.mchid,
      amountFen: 980,
      transactionId: paid.transactionId,
      paidAt: Math.floor((paid.paidAt as number) / 1000) * 1000,
      openid: req.openid,
    });
    expect(await gateway.query(req.outTradeNo)).toEqual(report);
  });

  it('a tampered paySign is refused by the payer side and nothing is paid', async () => {
    const prepay = await gateway.prepay(order());
    if (prepay.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    const params = gateway.requestPaymentParams(prepay.prepayId, 'RSA');
    await expect(emulator.requestPayment({ ...params, nonceStr: 'X'.repeat(32) }, 'pay')).rejects.toBeInstanceOf(EmulatorRefusal);
    expect(emulator.list()[0].status).toBe('WAITING');
  });

  it('refuses to second-sign with anything but RSA', () => {
    expect(() => gateway.requestPaymentParams('wx123', 'MD5')).toThrow(AppError);
  });

  it('pays a Native order by scan', async () => {
    const prepay = await gateway.prepay(order({ tradeType: 'NATIVE', openid: undefined }));
    if (prepay.tradeType !== 'NATIVE') throw new Error('expected NATIVE');
    const paid = await emulator.scan(prepay.codeUrl, 'pay');
    const report = await gateway.query(paid.outTradeNo);
    expect(report).toMatchObject({ state: 'SUCCESS', amountFen: 980, transactionId: expect.stringMatching(/^\d{28}$/), openid: expect.any(String) });
  });

  it('closes: the trade reads CLOSED, closing again is fine, paying and re-placing are refused', async () => {
    const req = order();
    const prepay = await gateway.prepay(req);
    await gateway.close(req.outTradeNo);
    expect((await gateway.query(req.outTradeNo)).state).toBe('CLOSED');
    await gateway.close(req.outTradeNo);
    await gateway.close('NEVER_PLACED_002');
    if (prepay.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    await expect(emulator.requestPayment(gateway.requestPaymentParams(prepay.prepayId, 'RSA'), 'pay')).rejects.toThrow(/关闭/);
    await expectProviderError(gateway.prepay(req), 'ORDER_CLOSED');
  });

  it('a paid trade cannot be closed or placed again', async () => {
    const req = order();
    const prepay = await gateway.prepay(req);
    if (prepay.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    await emulator.requestPayment(gateway.requestPaymentParams(prepay.prepayId, 'RSA'), 'pay');
    await expectProviderError(gateway.close(req.outTradeNo), 'ORDERPAID');
    await expectProviderError(gateway.prepay(req), 'ORDERPAID');
  });

  it('a failed payment reads PAYERROR; a cancelled one stays NOTPAY', async () => {
    const a = order();
    const b = order();
    const pa = await gateway.prepay(a);
    const pb = await gateway.prepay(b);
    if (pa.tradeType !== 'JSAPI' || pb.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    await emulator.requestPayment(gateway.requestPaymentParams(pa.prepayId, 'RSA'), 'fail');
    const cancelled = await emulator.requestPayment(gateway.requestPaymentParams(pb.prepayId, 'RSA'), 'cancel');
    expect((await gateway.query(a.outTradeNo)).state).toBe('PAYERROR');
    expect((await gateway.query(b.outTradeNo)).state).toBe('NOTPAY');
    expect(cancelled).toMatchObject({ status: 'WAITING', lastOutcome: 'cancel' });
  });
});

describe('readNotification', () => {
  const NOW = Date.now();
  const byPublicKey = { serial: keys.platform.publicKeyId, privateKey: keys.platform.privateKey };
  const transaction = {
    appid: keys.merchant.appid,
    mchid: keys.merchant.mchid,
    out_trade_no: 'N20240101000001',
    transaction_id: '4200001234202401011234567890',
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    success_time: '2024-01-01T12:00:05+08:00',
    payer: { openid: 'oOPENID' },
    amount: { total: 1, payer_total: 1, currency: 'CNY', payer_currency: 'CNY' },
  };
  const envelope = (resource: object, event_type = 'TRANSACTION.SUCCESS') =>
    JSON.stringify({ id: crypto.randomUUID(), create_time: '2024-01-01T12:00:06+08:00', resource_type: 'encrypt-resource', event_type, summary: '支付成功', resource });
  const resourceOf = (plain: string, key = keys.merchant.apiV3Key) => ({ original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ...encryptResource(plain, key, 'transaction') });
  const request = (body: string, key: { serial: string; privateKey: crypto.KeyObject } = byPublicKey, at = NOW): HttpRequestLike => ({
    method: 'POST',
    path: '/pay-notify',
    headers: { 'content-type': 'application/json', ...wechatpayHeaders(body, key, at) },
    rawBody: Buffer.from(body),
  });
  const gw = () => new WxPayV3Gateway(keys.config('https://api.mch.weixin.qq.com'), { now: () => NOW });

  async function rejection(req: HttpRequestLike): Promise<number | undefined> {
    const e = await gw().readNotification(req).catch((err: unknown) => err);
    return e instanceof NotificationRejected ? e.statusCode : undefined;
  }

  it('decodes a notification signed by either key kind', async () => {
    const body = envelope(resourceOf(JSON.stringify(transaction)));
    const expected = { outTradeNo: 'N20240101000001', state: 'SUCCESS', amountFen: 1, paidAt: Date.parse('2024-01-01T04:00:05Z'), transactionId: transaction.transaction_id, openid: 'oOPENID', appid: keys.merchant.appid, mchid: keys.merchant.mchid };
    expect(await gw().readNotification(request(body))).toEqual(expected);
    expect(await gw().readNotification(request(body, { serial: keys.platform.certificate.serial, privateKey: keys.platform.certificate.privateKey }))).toEqual(expected);
  });

  it('401s a forged, stale, unknown-key or undecryptable notification', async () => {
    const body = envelope(resourceOf(JSON.stringify(transaction)));
    expect(await rejection(request(body, { serial: keys.platform.publicKeyId, privateKey: keys.merchant.privateKey }))).toBe(401);
    expect(await rejection(request(body, byPublicKey, NOW - 6 * 60_000))).toBe(401);
    expect(await rejection(request(body, { serial: 'PUB_KEY_ID_OTHER', privateKey: keys.platform.privateKey }))).toBe(401);
    expect(await rejection({ ...request(body), rawBody: Buffer.from(body.replace('支付成功', '支付失败')) })).toBe(401);
    expect(await rejection(request(envelope(resourceOf(JSON.stringify(transaction), Buffer.from('k'.repeat(32))))))).toBe(401);
  });

  it('400s a signed body that is not JSON, another event, another algorithm, or a malformed transaction', async () => {
    expect(await rejection(request('not json'))).toBe(400);
    expect(await rejection(request(envelope(resourceOf(JSON.stringify(transaction)), 'REFUND.SUCCESS')))).toBe(400);
    expect(await rejection(request(envelope({ ...resourceOf(JSON.stringify(transaction)), algorithm: 'AES_128_CBC' })))).toBe(400);
    expect(await rejection(request(envelope(resourceOf(JSON.stringify({ ...transaction, amount: { total: 9.8 } })))))).toBe(400);
    expect(await rejection(request(envelope(resourceOf('{"trade_state":"SUCCESS"}'))))).toBe(400);
  });

  it('acknowledges with an empty 204 and rejects with {"code":"FAIL"}', () => {
    expect(gw().ackNotification()).toEqual({ statusCode: 204, headers: {}, body: '' });
    const r = gw().rejectNotification(401, 'signature rejected');
    expect(r.statusCode).toBe(401);
    expect(JSON.parse(r.body)).toEqual({ code: 'FAIL', message: 'signature rejected' });
  });

  it('the emulator redelivers a refused notification, re-signed each time, until accepted', async () => {
    let calls = 0;
    const flaky = await serveNotify(async (req) => {
      calls += 1;
      if (calls === 1) return gateway.rejectNotification(500, 'database busy');
      await gateway.readNotification(req);
      return gateway.ackNotification();
    });
    try {
      const prepay = await gateway.prepay(order({ notifyUrl: `${flaky.url}/n` }));
      if (prepay.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
      const paid = await emulator.requestPayment(gateway.requestPaymentParams(prepay.prepayId, 'RSA'), 'pay');
      await until(() => paid.deliveries.some((d) => d.accepted));
      expect(paid.deliveries.map((d) => [d.statusCode, d.accepted])).toEqual([
        [500, false],
        [204, true],
      ]);
      const [first, second] = flaky.received;
      expect(second.headers['wechatpay-nonce']).not.toBe(first.headers['wechatpay-nonce']);
      expect(second.rawBody.equals(first.rawBody)).toBe(true);
      expect((await gateway.readNotification(first)).outTradeNo).toBe(paid.outTradeNo);
    } finally {
      await flaky.close();
    }
  });
});
