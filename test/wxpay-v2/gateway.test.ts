import * as crypto from 'node:crypto';
import { Hash } from 'wechatpay-axios-plugin';
import type { V2SignType } from '../../cloudfunctions/common/config';
import { AppError, ProviderError } from '../../cloudfunctions/common/errors';
import type { PrepayRequest } from '../../cloudfunctions/common/payment/gateway';
import { toCompactBeijing } from '../../cloudfunctions/common/time';
import { WxPayV2Gateway } from '../../cloudfunctions/common/wxpay/v2/gateway';
import { withSign } from '../../cloudfunctions/common/wxpay/v2/sign';
import { parseXml, toXml } from '../../cloudfunctions/common/wxpay/v2/xml';
import { Notifier } from '../../scripts/local-host/emulators/notifier';
import { createWxPayV2Emulator, wxpayV2NotifyAccepted } from '../../scripts/local-host/emulators/wxpay-v2';
import { merchant, type Served, serveEmulator, sleep, v2Config } from './helpers';

const NOTIFY_URL = 'http://127.0.0.1:9/notify/wxpay';
let seq = 0;
const outTradeNo = () => `T${Date.now()}${++seq}`;

describe.each<V2SignType>(['MD5', 'HMAC-SHA256'])('WxPayV2Gateway against the emulator (%s)', (signType) => {
  const m = merchant();
  // Payments here are not delivered anywhere that answers: the notifier gives up at once.
  const notifier = new Notifier({ scheduleMs: [], isAccepted: wxpayV2NotifyAccepted, timeoutMs: 500 });
  const emu = createWxPayV2Emulator({ merchant: m, notifier });
  let server: Served;
  let gw: WxPayV2Gateway;

  beforeAll(async () => {
    server = await serveEmulator(emu.handle);
    gw = new WxPayV2Gateway(v2Config(m, server.url, NOTIFY_URL, signType), { retry: { attempts: 3, firstDelayMs: 10 }, timeoutMs: 300 });
  });
  afterAll(async () => {
    notifier.stop();
    await server.close();
  });
  beforeEach(() => {
    emu.received.length = 0;
    emu.faults.clear();
  });

  const jsapi = (over: Partial<PrepayRequest> = {}): PrepayRequest => ({
    outTradeNo: outTradeNo(),
    description: '测试商品 x2',
    amountFen: 980,
    expiresAt: Date.now() + 30 * 60_000,
    notifyUrl: NOTIFY_URL,
    tradeType: 'JSAPI',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    ...over,
  });
  const sent = (i = 0) => parseXml(emu.received[i].body);

  test('JSAPI: sends the documented fields, signed as configured, and returns the prepay_id', async () => {
    const req = jsapi({ attach: 'order-42', clientIp: '10.1.2.3' });
    const res = await gw.prepay(req);
    expect(res).toEqual({ tradeType: 'JSAPI', prepayId: expect.stringMatching(/^wx[0-9a-f]{28}$/), signType });
    expect(emu.received).toHaveLength(1);
    const f = sent();
    expect(f).toMatchObject({
      appid: m.appid,
      mch_id: m.mchid,
      sign_type: signType,
      body: req.description,
      out_trade_no: req.outTradeNo,
      total_fee: '980',
      spbill_create_ip: '10.1.2.3',
      time_expire: toCompactBeijing(req.expiresAt),
      notify_url: NOTIFY_URL,
      trade_type: 'JSAPI',
      openid: req.openid,
      attach: 'order-42',
    });
    expect(f.nonce_str).toMatch(/^[0-9a-f]{32}$/);
    // Independent check of our request sign.
    expect(f.sign).toBe(Hash.sign(signType, f, m.key));
    expect(emu.list().find((p) => p.outTradeNo === req.outTradeNo)?.prepayId).toBe(res.tradeType === 'JSAPI' && res.prepayId);
  });

  test('spbill_create_ip defaults to 127.0.0.1; no attach means no attach field', async () => {
    await gw.prepay(jsapi());
    expect(sent().spbill_create_ip).toBe('127.0.0.1');
    expect(sent()).not.toHaveProperty('attach');
  });

  test('NATIVE: returns the code_url and sends product_id, no openid', async () => {
    const req = jsapi({ tradeType: 'NATIVE', openid: undefined });
    const res = await gw.prepay(req);
    expect(res).toEqual({ tradeType: 'NATIVE', codeUrl: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=\w+$/), signType });
    expect(sent()).toMatchObject({ trade_type: 'NATIVE', product_id: req.outTradeNo });
    expect(sent()).not.toHaveProperty('openid');
  });

  test('placing the same order again returns the same id; changed parameters are refused', async () => {
    const req = jsapi();
    const a = await gw.prepay(req);
    const b = await gw.prepay(req);
    expect(b).toEqual(a);
    const native = jsapi({ tradeType: 'NATIVE', openid: undefined });
    expect(await gw.prepay(native)).toEqual(await gw.prepay(native));
    await expect(gw.prepay({ ...req, amountFen: 981 })).rejects.toMatchObject({ providerCode: 'OUT_TRADE_NO_USED' });
  });

  test('a 5xx is retried with the identical request', async () => {
    emu.faults.add({ pathIncludes: '/pay/unifiedorder', kind: 'reply', reply: { statusCode: 503, headers: {}, body: 'busy' }, times: 1 });
    const res = await gw.prepay(jsapi());
    expect(res.tradeType).toBe('JSAPI');
    expect(emu.received).toHaveLength(2);
    expect(emu.received[1].body).toBe(emu.received[0].body);
  });

  test('a timeout is retried with the same business fields and yields one order', async () => {
    const req = jsapi();
    emu.faults.add({ pathIncludes: '/pay/unifiedorder', kind: 'delay', ms: 600, times: 1 });
    const res = await gw.prepay(req);
    await sleep(700); // let the delayed first request finish at the emulator
    expect(emu.received).toHaveLength(2);
    const [first, second] = [sent(0), sent(1)];
    for (const name of ['body', 'out_trade_no', 'total_fee', 'time_expire', 'notify_url', 'trade_type', 'openid', 'sign_type']) {
      expect(second[name]).toBe(first[name]);
    }
    const placed = emu.list().filter((p) => p.outTradeNo === req.outTradeNo);
    expect(placed).toHaveLength(1);
    expect(res.tradeType === 'JSAPI' && res.prepayId).toBe(placed[0].prepayId);
  });

  test('SYSTEMERROR is retried; after the last attempt the error is retryable', async () => {
    const systemError = () =>
      toXml(withSign({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'SYSTEMERROR', err_code_des: '系统超时', appid: m.appid, mch_id: m.mchid, nonce_str: 'n1' }, signType, m.key));
    emu.faults.add({ pathIncludes: '/pay/unifiedorder', kind: 'reply', reply: { statusCode: 200, headers: {}, body: systemError() }, times: 1 });
    await expect(gw.prepay(jsapi())).resolves.toMatchObject({ tradeType: 'JSAPI' });
    expect(emu.received).toHaveLength(2);

    emu.received.length = 0;
    emu.faults.add({ pathIncludes: '/pay/unifiedorder', kind: 'reply', reply: { statusCode: 200, headers: {}, body: systemError() }, times: 3 });
    const err = await gw.prepay(jsapi()).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ providerCode: 'SYSTEMERROR', retryable: true, message: '系统超时' });
    expect(emu.received).toHaveLength(3);
  });

  test('an answer with a forged or missing sign is rejected and not retried', async () => {
    const fields = { return_code: 'SUCCESS', return_msg: 'OK', result_code: 'SUCCESS', appid: m.appid, mch_id: m.mchid, nonce_str: 'n2', trade_type: 'JSAPI', prepay_id: 'wx_forged' };
    const forged = toXml(withSign(fields, signType, crypto.randomBytes(16).toString('hex')));
    emu.faults.add({ pathIncludes: '/pay/unifiedorder', kind: 'reply', reply: { statusCode: 200, headers: {}, body: forged }, times: 1 });
    await expect(gw.prepay(jsapi())).rejects.toThrow(/sign/);
    expect(emu.received).toHaveLength(1);

    emu.faults.add({ pathIncludes: '/pay/unifiedorder', kind: 'reply', reply: { statusCode: 200, headers: {}, body: toXml(fields) }, times: 1 });
    await expect(gw.prepay(jsapi())).rejects.toThrow(ProviderError);

    const tampered = parseXml(toXml(withSign(fields, signType, m.key)));
    tampered.prepay_id = 'wx_swapped';
    emu.faults.add({ pathIncludes: '/pay/unifiedorder', kind: 'reply', reply: { statusCode: 200, headers: {}, body: toXml(tampered) }, times: 1 });
    await expect(gw.prepay(jsapi())).rejects.toThrow(/sign/);
  });

  test('return_code FAIL and garbage answers become ProviderError', async () => {
    emu.faults.add({ pathIncludes: '/pay/unifiedorder', kind: 'reply', reply: { statusCode: 200, headers: {}, body: toXml({ return_code: 'FAIL', return_msg: '签名错误' }) }, times: 1 });
    await expect(gw.prepay(jsapi())).rejects.toThrow(/签名错误/);
    emu.faults.add({ pathIncludes: '/pay/unifiedorder', kind: 'reply', reply: { statusCode: 200, headers: {}, body: '<html>gateway</html>' }, times: 1 });
    await expect(gw.prepay(jsapi())).rejects.toThrow(ProviderError);
  });

  test('bad input is refused with INVALID_ARGUMENT before anything is sent', async () => {
    const bad: Partial<PrepayRequest>[] = [
      { amountFen: 9.8 },
      { amountFen: 0 },
      { amountFen: -100 },
      { description: '' },
      { description: '长'.repeat(43) }, // 129 bytes
      { openid: undefined },
      { outTradeNo: 'has space' },
      { outTradeNo: 'x'.repeat(33) },
      { notifyUrl: 'http://127.0.0.1/notify?x=1' },
      { clientIp: 'not-an-ip' },
      { attach: 'a'.repeat(128) },
    ];
    for (const over of bad) {
      const err = await gw.prepay(jsapi(over)).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('INVALID_ARGUMENT');
    }
    expect(emu.received).toHaveLength(0);
  });

  test('query: unknown → NOTPAY, placed → NOTPAY, paid → SUCCESS with amount, transaction, time and payer', async () => {
    expect(await gw.query(outTradeNo())).toEqual({ outTradeNo: expect.any(String), state: 'NOTPAY' });
    const req = jsapi();
    const res = await gw.prepay(req);
    expect(await gw.query(req.outTradeNo)).toMatchObject({ outTradeNo: req.outTradeNo, state: 'NOTPAY', amountFen: 980 });
    if (res.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    const paid = await emu.requestPayment(gw.requestPaymentParams(res.prepayId, res.signType), 'pay');
    expect(await gw.query(req.outTradeNo)).toEqual({
      outTradeNo: req.outTradeNo,
      state: 'SUCCESS',
      appid: m.appid,
      mchid: m.mchid,
      amountFen: 980,
      transactionId: paid.transactionId,
      paidAt: paid.paidAt,
      openid: req.openid,
    });
    expect(sent(emu.received.length - 1)).toMatchObject({ out_trade_no: req.outTradeNo, sign_type: signType });
  });

  test('query reports PAYERROR after a failed payment; a cancel leaves NOTPAY', async () => {
    const req = jsapi({ tradeType: 'NATIVE', openid: undefined });
    const res = await gw.prepay(req);
    if (res.tradeType !== 'NATIVE') throw new Error('expected NATIVE');
    await emu.scan(res.codeUrl, 'cancel');
    expect((await gw.query(req.outTradeNo)).state).toBe('NOTPAY');
    await emu.scan(res.codeUrl, 'fail');
    expect((await gw.query(req.outTradeNo)).state).toBe('PAYERROR');
  });

  test('close: closes, closing again is fine, the closed order cannot be placed again', async () => {
    const req = jsapi();
    await gw.prepay(req);
    await expect(gw.close(req.outTradeNo)).resolves.toBeUndefined();
    expect((await gw.query(req.outTradeNo)).state).toBe('CLOSED');
    await expect(gw.close(req.outTradeNo)).resolves.toBeUndefined();
    await expect(gw.prepay(req)).rejects.toMatchObject({ providerCode: 'ORDERCLOSED' });
  });

  test('close and re-place of a paid order fail with ORDERPAID', async () => {
    const req = jsapi({ tradeType: 'NATIVE', openid: undefined });
    const res = await gw.prepay(req);
    if (res.tradeType !== 'NATIVE') throw new Error('expected NATIVE');
    await emu.scan(res.codeUrl, 'pay');
    const err = await gw.close(req.outTradeNo).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.providerCode).toBe('ORDERPAID');
    await expect(gw.prepay(req)).rejects.toMatchObject({ providerCode: 'ORDERPAID' });
    expect((await gw.query(req.outTradeNo)).state).toBe('SUCCESS');
  });

  test('requestPaymentParams: independently verifiable paySign with its own nonce, accepted by the client', async () => {
    const res = await gw.prepay(jsapi());
    if (res.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    const orderSign = sent().sign;
    const p = gw.requestPaymentParams(res.prepayId, res.signType);
    expect(p).toEqual({ timeStamp: expect.stringMatching(/^\d{10}$/), nonceStr: expect.stringMatching(/^[0-9a-f]{32}$/), package: `prepay_id=${res.prepayId}`, signType, paySign: expect.any(String) });
    expect(Math.abs(Number(p.timeStamp) - Date.now() / 1000)).toBeLessThan(5);
    const { paySign, ...rest } = p;
    expect(paySign).toBe(Hash.sign(signType, { appId: m.appid, ...rest }, m.key));
    expect(paySign).not.toBe(orderSign);
    expect(p.nonceStr).not.toBe(sent().nonce_str);
    await expect(emu.requestPayment(p, 'pay')).resolves.toMatchObject({ status: 'PAID' });
  });

  test('the client refuses a wrong paySign, the order sign reused as paySign and the other signType', async () => {
    const res = await gw.prepay(jsapi());
    if (res.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    const good = gw.requestPaymentParams(res.prepayId, res.signType);
    const other: V2SignType = signType === 'MD5' ? 'HMAC-SHA256' : 'MD5';
    await expect(emu.requestPayment({ ...good, paySign: good.paySign.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, 'pay')).rejects.toThrow(/paySign/);
    await expect(emu.requestPayment({ ...good, paySign: sent().sign }, 'pay')).rejects.toThrow(/unified order/);
    await expect(emu.requestPayment(gw.requestPaymentParams(res.prepayId, other), 'pay')).rejects.toThrow(/signType/);
    await expect(emu.requestPayment({ ...good, package: 'prepay_id=wx_unknown' }, 'pay')).rejects.toMatchObject({ statusCode: 404 });
    expect(emu.list().find((p) => p.prepayId === res.prepayId)?.status).toBe('WAITING');
    expect(() => gw.requestPaymentParams(res.prepayId, 'RSA')).toThrow(AppError);
    expect(() => gw.requestPaymentParams('prepay&id', signType)).toThrow(AppError);
  });
});
