import * as crypto from 'node:crypto';
import { Hash } from 'wechatpay-axios-plugin';
import type { V2SignType } from '../../cloudfunctions/common/config';
import { type HttpRequestLike, type NotificationContext, NotificationRejected, type TradeReport } from '../../cloudfunctions/common/payment/gateway';
import { WxPayV2Gateway } from '../../cloudfunctions/common/wxpay/v2/gateway';
import { withSign } from '../../cloudfunctions/common/wxpay/v2/sign';
import { parseXml, toXml } from '../../cloudfunctions/common/wxpay/v2/xml';
import { Notifier } from '../../scripts/local-host/emulators/notifier';
import { createWxPayV2Emulator, wxpayV2NotifyAccepted } from '../../scripts/local-host/emulators/wxpay-v2';
import { merchant, type Served, serveEmulator, serveNotify, sleep, v2Config } from './helpers';

const ACK = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';
let seq = 0;

describe.each<V2SignType>(['MD5', 'HMAC-SHA256'])('v2 notification round trip (%s orders)', (signType) => {
  const m = merchant();
  const notifier = new Notifier({ scheduleMs: [30, 30], isAccepted: wxpayV2NotifyAccepted, timeoutMs: 2000 });
  const emu = createWxPayV2Emulator({ merchant: m, notifier });
  /** The order service's memory of each order's sign type. */
  const signTypes = new Map<string, V2SignType>();
  const ctx: NotificationContext = { signTypeOf: async (no) => signTypes.get(no) };
  const bodies: string[] = [];
  const reports: TradeReport[] = [];
  let failNext = 0;
  let api: Served;
  let notify: Served;
  let gw: WxPayV2Gateway;

  beforeAll(async () => {
    api = await serveEmulator(emu.handle);
    notify = await serveNotify(async (req) => {
      bodies.push(req.rawBody.toString('utf8'));
      if (failNext > 0) {
        failNext--;
        return gw.rejectNotification(500, 'database busy');
      }
      try {
        reports.push(await gw.readNotification(req, ctx));
        return gw.ackNotification();
      } catch (e) {
        if (e instanceof NotificationRejected) return gw.rejectNotification(e.statusCode, e.message);
        throw e;
      }
    });
    gw = new WxPayV2Gateway(v2Config(m, api.url, `${notify.url}/notify`, signType), { retry: { attempts: 2, firstDelayMs: 10 } });
  });
  afterAll(async () => {
    notifier.stop();
    await Promise.all([api.close(), notify.close()]);
  });
  beforeEach(() => {
    bodies.length = 0;
    reports.length = 0;
  });

  async function placeJsapi(amountFen = 1234) {
    const no = `N${Date.now()}${++seq}`;
    const res = await gw.prepay({ outTradeNo: no, description: '通知测试', amountFen, expiresAt: Date.now() + 600_000, notifyUrl: `${notify.url}/notify`, tradeType: 'JSAPI', openid: 'o_payer_1', attach: 'a&b' });
    if (res.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    signTypes.set(no, res.signType as V2SignType);
    return { no, res };
  }

  test('pay → signed notification → readNotification → exact ack, accepted at the first attempt', async () => {
    const { no, res } = await placeJsapi();
    const paid = await emu.requestPayment(gw.requestPaymentParams(res.prepayId, res.signType), 'pay');
    expect(paid.deliveries).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, accepted: true, response: ACK })]);
    expect(reports).toEqual([
      { outTradeNo: no, state: 'SUCCESS', appid: m.appid, mchid: m.mchid, amountFen: 1234, transactionId: paid.transactionId, paidAt: paid.paidAt, openid: 'o_payer_1' },
    ]);
    const f = parseXml(bodies[0]);
    // sign_type appears only for HMAC-SHA256, and an independent implementation verifies the sign.
    if (signType === 'HMAC-SHA256') expect(f.sign_type).toBe('HMAC-SHA256');
    else expect(f).not.toHaveProperty('sign_type');
    expect(f.sign).toBe(Hash.sign(signType, f, m.key));
    expect(f).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', total_fee: '1234', cash_fee: '1234', fee_type: 'CNY', trade_type: 'JSAPI', attach: 'a&b', out_trade_no: no });
    expect(f.transaction_id).toMatch(/^\d{28}$/);
    expect(f.time_end).toMatch(/^\d{14}$/);
  });

  test('a refused notification is delivered again, re-signed with a new nonce, until acknowledged', async () => {
    const { res } = await placeJsapi(500);
    failNext = 1;
    const paid = await emu.requestPayment(gw.requestPaymentParams(res.prepayId, res.signType), 'pay');
    expect(paid.deliveries[0]).toMatchObject({ statusCode: 500, accepted: false });
    for (let i = 0; i < 50 && paid.deliveries.length < 2; i++) await sleep(20);
    expect(paid.deliveries[1]).toMatchObject({ attempt: 2, statusCode: 200, accepted: true });
    const [a, b] = bodies.map(parseXml);
    expect(b.nonce_str).not.toBe(a.nonce_str);
    expect(b.sign).not.toBe(a.sign);
    expect(reports).toHaveLength(1);
  });

  test('a Native payment notifies too; an order the service does not know is checked with the configured sign type', async () => {
    const no = `N${Date.now()}${++seq}`;
    const res = await gw.prepay({ outTradeNo: no, description: 'native', amountFen: 1, expiresAt: Date.now() + 600_000, notifyUrl: `${notify.url}/notify`, tradeType: 'NATIVE' });
    if (res.tradeType !== 'NATIVE') throw new Error('expected NATIVE');
    const paid = await emu.scan(res.codeUrl, 'pay');
    expect(paid.deliveries[0].accepted).toBe(true);
    expect(reports[0]).toMatchObject({ outTradeNo: no, state: 'SUCCESS', amountFen: 1, openid: paid.openid });
  });

  describe('readNotification rejects', () => {
    const genuine = () => {
      const fields = {
        return_code: 'SUCCESS', result_code: 'SUCCESS', appid: m.appid, mch_id: m.mchid, nonce_str: crypto.randomBytes(8).toString('hex'),
        openid: 'o_x', trade_type: 'JSAPI', bank_type: 'OTHERS', total_fee: 100, cash_fee: 100, fee_type: 'CNY',
        transaction_id: '4200000000202401010000000001', out_trade_no: 'KNOWN1', time_end: '20240101120000',
      };
      signTypes.set('KNOWN1', signType);
      return withSign(fields, signType, m.key);
    };
    const asRequest = (body: string): HttpRequestLike => ({ method: 'POST', path: '/notify', headers: { 'content-type': 'text/xml' }, rawBody: Buffer.from(body) });
    const read = (body: string) => gw.readNotification(asRequest(body), ctx);

    test('(control) the genuine notification is read, paidAt from Beijing time', async () => {
      await expect(read(toXml(genuine()))).resolves.toMatchObject({ outTradeNo: 'KNOWN1', state: 'SUCCESS', amountFen: 100, paidAt: Date.UTC(2024, 0, 1, 4, 0, 0) });
    });
    test("the order's sign type wins over the configured one (a notification may omit sign_type)", async () => {
      const other: V2SignType = signType === 'MD5' ? 'HMAC-SHA256' : 'MD5';
      const { sign: _s, ...unsigned } = genuine();
      const body = toXml(withSign({ ...unsigned, out_trade_no: 'OTHER1' }, other, m.key));
      signTypes.set('OTHER1', other);
      await expect(read(body)).resolves.toMatchObject({ outTradeNo: 'OTHER1', state: 'SUCCESS' });
      signTypes.delete('OTHER1'); // unknown order: the configured sign type, which does not match
      await expect(read(body)).rejects.toMatchObject({ statusCode: 401 });
    });
    test('a forged sign with 401', async () => {
      const forged = withSign({ ...genuine(), sign: undefined }, signType, crypto.randomBytes(16).toString('hex'));
      await expect(read(toXml(forged))).rejects.toMatchObject({ statusCode: 401 });
    });
    test('a tampered total_fee with 401', async () => {
      await expect(read(toXml({ ...genuine(), total_fee: 1 }))).rejects.toMatchObject({ statusCode: 401 });
    });
    test('a sign made with the other sign type than the order used, with 401', async () => {
      const other: V2SignType = signType === 'MD5' ? 'HMAC-SHA256' : 'MD5';
      const { sign: _s, ...unsigned } = genuine();
      await expect(read(toXml(withSign(unsigned, other, m.key)))).rejects.toMatchObject({ statusCode: 401 });
    });
    test('a validly signed notification for another appid, with 401', async () => {
      const { sign: _s, ...unsigned } = genuine();
      await expect(read(toXml(withSign({ ...unsigned, appid: 'wx0000000000000000' }, signType, m.key)))).rejects.toMatchObject({ statusCode: 401 });
    });
    test('malformed XML, return_code FAIL and a paid notification without amount, with 400', async () => {
      await expect(read('<xml><return_code>SUCCESS</return_code>')).rejects.toMatchObject({ statusCode: 400 });
      await expect(read(toXml({ return_code: 'FAIL', return_msg: 'x' }))).rejects.toMatchObject({ statusCode: 400 });
      const { sign: _s, total_fee: _t, ...noFee } = genuine();
      await expect(read(toXml(withSign(noFee, signType, m.key)))).rejects.toMatchObject({ statusCode: 400 });
    });
    test('a verified result_code FAIL is a PAYERROR report, not a payment', async () => {
      const { sign: _s, ...unsigned } = genuine();
      await expect(read(toXml(withSign({ ...unsigned, result_code: 'FAIL', err_code: 'X' }, signType, m.key)))).resolves.toMatchObject({ outTradeNo: 'KNOWN1', state: 'PAYERROR' });
    });
  });

  test('ack and reject replies', () => {
    expect(gw.ackNotification()).toEqual({ statusCode: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body: ACK });
    const r = gw.rejectNotification(401, 'bad sign');
    expect(r.statusCode).toBe(401);
    expect(parseXml(r.body)).toEqual({ return_code: 'FAIL', return_msg: 'bad sign' });
    expect(wxpayV2NotifyAccepted(200, ACK)).toBe(true);
    expect(wxpayV2NotifyAccepted(200, r.body)).toBe(false);
    expect(wxpayV2NotifyAccepted(500, ACK)).toBe(false);
    expect(wxpayV2NotifyAccepted(200, 'success')).toBe(false);
  });
});
