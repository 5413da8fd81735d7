import * as crypto from 'node:crypto';
import { Aes, Hash } from 'wechatpay-axios-plugin';
import type { V2SignType } from '../../cloudfunctions/common/config';
import { formatPayjsTime as beijingDateTime } from '../../cloudfunctions/common/payjs/time';
import { toCompactBeijing } from '../../cloudfunctions/common/time';
import { nonceStr, type V2Fields, withSign } from '../../cloudfunctions/common/wxpay/v2/sign';
import { parseXml, toXml } from '../../cloudfunctions/common/wxpay/v2/xml';
import type { HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import { Notifier } from '../../scripts/local-host/emulators/notifier';
import type { ClientCertificate, EmuRequest } from '../../scripts/local-host/emulators/types';
import { createWxPayV2Emulator, wxpayV2NotifyAccepted } from '../../scripts/local-host/emulators/wxpay-v2';
import { until } from '../helpers/loopback';
import { merchant, serveNotify, type Served } from './helpers';

/**
 * The v2 emulator's refunds: /secapi/pay/refund only with the merchant's client certificate, the sign
 * checked, the platform's rules and error codes, /pay/refundquery, and the req_info notifications.
 */

const m = merchant();
/** Computed here, not taken from the code under test: the lower-case hex md5 of the API key, as 32 key bytes. */
const reqInfoKey = (apiKey: string) => Buffer.from(crypto.createHash('md5').update(apiKey).digest('hex'));
let clock = Date.UTC(2024, 5, 1, 4, 0, 0);
const SUCCESS_XML = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';
const notifier = new Notifier({ scheduleMs: [30, 30], isAccepted: wxpayV2NotifyAccepted, timeoutMs: 2000 });
const emu = createWxPayV2Emulator({ merchant: m, notifier, now: () => clock });
afterAll(() => notifier.stop());

let answer = SUCCESS_XML;
let notify: Served & { received: HttpRequestLike[] };
beforeAll(async () => {
  notify = await serveNotify(async () => ({ statusCode: 200, headers: { 'content-type': 'text/xml' }, body: answer }));
});
afterAll(() => notify.close());
beforeEach(() => {
  answer = SUCCESS_XML;
  notify.received.length = 0;
});

const OUR_CERT: ClientCertificate = { authorized: true, subjectCN: m.mchid };
const req = (path: string, body: string, tls: ClientCertificate | undefined): EmuRequest => ({
  method: 'POST',
  path,
  query: new URLSearchParams(),
  headers: {},
  rawBody: Buffer.from(body),
  ...(tls ? { tls } : {}),
});
const signed = (fields: V2Fields, signType: V2SignType = 'MD5') =>
  toXml(withSign({ appid: m.appid, mch_id: m.mchid, nonce_str: nonceStr(), ...fields, sign_type: signType === 'MD5' ? undefined : signType }, signType, m.key));
async function call(path: string, fields: V2Fields, opts: { signType?: V2SignType; tls?: ClientCertificate | null } = {}) {
  const reply = await emu.handle(req(path, signed(fields, opts.signType), opts.tls === null ? undefined : opts.tls ?? OUR_CERT));
  return parseXml(reply!.body);
}

let seq = 0;
/** A paid Native trade of `total` fen. */
async function paidTrade(total = 1000): Promise<{ outTradeNo: string; transactionId: string }> {
  const outTradeNo = `V2R${++seq}`;
  const placed = await call('/pay/unifiedorder', {
    body: '商品', out_trade_no: outTradeNo, total_fee: total, spbill_create_ip: '127.0.0.1', time_expire: toCompactBeijing(clock + 600_000),
    notify_url: `${notify.url}/pay`, trade_type: 'NATIVE', product_id: 'P1',
  });
  const paid = await emu.scan(placed.code_url, 'pay');
  return { outTradeNo, transactionId: paid.transactionId! };
}
const refund = (outTradeNo: string, over: V2Fields = {}): V2Fields => ({
  out_trade_no: outTradeNo, out_refund_no: `R${outTradeNo}`, total_fee: 1000, refund_fee: 300, refund_desc: '缺货', notify_url: `${notify.url}/refund`, ...over,
});
const refundNotes = () => notify.received.filter((r) => r.path === '/refund');

describe('/secapi/pay/refund needs the merchant API certificate (mutual TLS)', () => {
  it.each<[string, ClientCertificate | null]>([
    ['plain http (no TLS at all)', null],
    ['TLS without a client certificate', { authorized: false }],
    ['a certificate from another CA', { authorized: false, subjectCN: m.mchid }],
    ['our CA, another merchant', { authorized: true, subjectCN: '1900000999' }],
  ])('refuses %s with an unsigned return_code FAIL, and nothing is refunded', async (_what, tls) => {
    const { outTradeNo } = await paidTrade();
    const f = await call('/secapi/pay/refund', refund(outTradeNo), { tls });
    expect(f.return_code).toBe('FAIL');
    expect(f).not.toHaveProperty('sign');
    expect(emu.listRefunds().some((r) => r.outTradeNo === outTradeNo)).toBe(false);
  });

  it('other routes need no certificate', async () => {
    const { outTradeNo } = await paidTrade();
    expect(await call('/pay/orderquery', { out_trade_no: outTradeNo }, { tls: null })).toMatchObject({ result_code: 'SUCCESS', trade_state: 'SUCCESS' });
  });
});

describe('refund rules', () => {
  test.each<V2SignType>(['MD5', 'HMAC-SHA256'])('accepts a refund with our certificate, answered signed with the request sign type (%s); a bad sign gets SIGNERROR', async (signType) => {
    const { outTradeNo, transactionId } = await paidTrade();
    const bad = await emu.handle(req('/secapi/pay/refund', signed(refund(outTradeNo), signType).replace('<refund_fee>300', '<refund_fee>301'), OUR_CERT));
    expect(parseXml(bad!.body)).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'SIGNERROR' });
    const ok = await call('/secapi/pay/refund', refund(outTradeNo), { signType });
    expect(ok).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', out_trade_no: outTradeNo, transaction_id: transactionId, out_refund_no: `R${outTradeNo}`, refund_fee: '300', total_fee: '1000' });
    expect(ok.refund_id).toMatch(/^\d{29}$/);
    expect(ok.sign).toBe(Hash.sign(signType, ok, m.key));
    expect(emu.listRefunds().find((r) => r.outTradeNo === outTradeNo)?.status).toBe('PROCESSING');
  });

  it('the same out_refund_no is the same refund; another refund_fee gets REFUND_FEE_MISMATCH', async () => {
    const { outTradeNo } = await paidTrade();
    const a = await call('/secapi/pay/refund', refund(outTradeNo));
    const b = await call('/secapi/pay/refund', refund(outTradeNo));
    expect(b.refund_id).toBe(a.refund_id);
    expect(await call('/secapi/pay/refund', refund(outTradeNo, { refund_fee: 200 }))).toMatchObject({ result_code: 'FAIL', err_code: 'REFUND_FEE_MISMATCH' });
    expect(emu.listRefunds().filter((r) => r.outTradeNo === outTradeNo)).toHaveLength(1);
  });

  it('total_fee must be the trade\'s; the refunds never sum above it; at most 50 per trade', async () => {
    const { outTradeNo } = await paidTrade();
    expect(await call('/secapi/pay/refund', refund(outTradeNo, { total_fee: 999 }))).toMatchObject({ result_code: 'FAIL', err_code: 'INVALID_REQUEST' });
    expect(await call('/secapi/pay/refund', refund(outTradeNo, { refund_fee: 951 }))).toMatchObject({ result_code: 'SUCCESS' });
    for (let n = 1; n <= 49; n++) expect(await call('/secapi/pay/refund', refund(outTradeNo, { out_refund_no: `N${n}${outTradeNo}`, refund_fee: 1 }))).toMatchObject({ result_code: 'SUCCESS' });
    // 1000 fen: 951 + 49 × 1 are committed; the 51st refund is refused for its number alone.
    expect(await call('/secapi/pay/refund', refund(outTradeNo, { out_refund_no: `N50${outTradeNo}`, refund_fee: 1 }))).toMatchObject({ result_code: 'FAIL', err_code: 'INVALID_REQUEST' });
    expect(emu.listRefunds().filter((r) => r.outTradeNo === outTradeNo)).toHaveLength(50);

    const other = await paidTrade();
    expect(await call('/secapi/pay/refund', refund(other.outTradeNo, { refund_fee: 1000 }))).toMatchObject({ result_code: 'SUCCESS' });
    expect(await call('/secapi/pay/refund', refund(other.outTradeNo, { out_refund_no: `X${other.outTradeNo}`, refund_fee: 1 }))).toMatchObject({ result_code: 'FAIL', err_code: 'INVALID_REQUEST', err_code_des: 'refund_fee大于可退金额' });
  });

  it.each<[string, V2Fields]>([
    ['a fractional refund_fee', { refund_fee: '2.50' }],
    ['a zero refund_fee', { refund_fee: 0 }],
    ['no out_refund_no', { out_refund_no: undefined }],
    ['a 65-character out_refund_no', { out_refund_no: 'R'.repeat(65) }],
    ['an 81-byte refund_desc', { refund_desc: '退'.repeat(27) }],
    ['a notify_url with a query', { notify_url: 'https://x.example/n?a=1' }],
  ])('PARAM_ERROR for %s, and no refund', async (_what, over) => {
    const { outTradeNo } = await paidTrade();
    expect(await call('/secapi/pay/refund', refund(outTradeNo, over))).toMatchObject({ result_code: 'FAIL', err_code: 'PARAM_ERROR' });
    expect(emu.listRefunds().some((r) => r.outTradeNo === outTradeNo)).toBe(false);
  });

  it('an unknown trade gets ORDERNOTEXIST, an unpaid one INVALID_REQUEST', async () => {
    expect(await call('/secapi/pay/refund', refund('NOPE'))).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERNOTEXIST' });
    const placed = await call('/pay/unifiedorder', {
      body: '商品', out_trade_no: 'V2UNPAID', total_fee: 1000, spbill_create_ip: '127.0.0.1', notify_url: `${notify.url}/pay`, trade_type: 'NATIVE', product_id: 'P1',
    });
    expect(placed.result_code).toBe('SUCCESS');
    expect(await call('/secapi/pay/refund', refund('V2UNPAID'))).toMatchObject({ result_code: 'FAIL', err_code: 'INVALID_REQUEST' });
  });
});

describe('/pay/refundquery', () => {
  it('answers one refund by out_refund_no or refund_id, all of a trade\'s by out_trade_no, REFUNDNOTEXIST otherwise', async () => {
    const { outTradeNo, transactionId } = await paidTrade();
    expect(await call('/pay/refundquery', { out_trade_no: outTradeNo })).toMatchObject({ result_code: 'FAIL', err_code: 'REFUNDNOTEXIST' });
    const a = await call('/secapi/pay/refund', refund(outTradeNo, { refund_fee: 400 }));
    await call('/secapi/pay/refund', refund(outTradeNo, { out_refund_no: `B${outTradeNo}`, refund_fee: 600 }));
    clock += 3000;
    await emu.settleRefund(`R${outTradeNo}`, 'succeed');
    await emu.settleRefund(`B${outTradeNo}`, 'abnormal');

    const one = await call('/pay/refundquery', { out_refund_no: `R${outTradeNo}` }, { tls: null });
    expect(one).toMatchObject({
      result_code: 'SUCCESS', out_trade_no: outTradeNo, transaction_id: transactionId, total_fee: '1000', refund_count: '1',
      out_refund_no_0: `R${outTradeNo}`, refund_id_0: a.refund_id, refund_fee_0: '400', refund_status_0: 'SUCCESS', refund_success_time_0: beijingDateTime(clock),
    });
    expect(one.sign).toBe(Hash.sign('MD5', one, m.key));
    expect(await call('/pay/refundquery', { refund_id: a.refund_id })).toMatchObject({ out_refund_no_0: `R${outTradeNo}` });
    const all = await call('/pay/refundquery', { transaction_id: transactionId });
    expect(all).toMatchObject({ refund_count: '2', refund_status_0: 'SUCCESS', refund_status_1: 'CHANGE', refund_fee_1: '600' });
    expect(all).not.toHaveProperty('refund_success_time_1');
    expect(await call('/pay/refundquery', { out_refund_no: 'NOPE' })).toMatchObject({ err_code: 'REFUNDNOTEXIST' });
    // Fully refunded once the second one succeeds: the trade reads REFUND.
    expect((await call('/pay/orderquery', { out_trade_no: outTradeNo })).trade_state).toBe('SUCCESS');
    await emu.settleRefund(`B${outTradeNo}`, 'succeed');
    expect((await call('/pay/orderquery', { out_trade_no: outTradeNo })).trade_state).toBe('REFUND');
  });
});

describe('refund notifications', () => {
  /** What the plugin (an independent implementation) decrypts from each notification's req_info. */
  function decrypted(): Array<Record<string, string>> {
    return refundNotes().map((n) => {
      const outer = parseXml(n.rawBody);
      expect(outer).toMatchObject({ return_code: 'SUCCESS', appid: m.appid, mch_id: m.mchid });
      expect(outer).not.toHaveProperty('sign');
      const inner = Aes.AesEcb.decrypt(outer.req_info, reqInfoKey(m.key));
      expect(inner).toMatch(/^<root>.*<\/root>$/s);
      return parseXml(inner.replace(/^<root>/, '<xml>').replace(/<\/root>$/, '</xml>'));
    });
  }

  it('req_info is AES-256-ECB under the lower-case hex md5 of the API key, with the refund\'s details', async () => {
    const { outTradeNo, transactionId } = await paidTrade();
    const a = await call('/secapi/pay/refund', refund(outTradeNo));
    clock += 2000;
    await emu.settleRefund(`R${outTradeNo}`, 'succeed');
    expect(decrypted()).toEqual([
      {
        out_trade_no: outTradeNo, transaction_id: transactionId, out_refund_no: `R${outTradeNo}`, refund_id: a.refund_id,
        total_fee: '1000', settlement_total_fee: '1000', refund_fee: '300', settlement_refund_fee: '300', refund_status: 'SUCCESS',
        success_time: beijingDateTime(clock), refund_recv_accout: '支付用户的零钱', refund_account: 'REFUND_SOURCE_UNSETTLED_FUNDS', refund_request_source: 'API',
      },
    ]);
    // Another key does not decrypt it.
    let wrong: string | undefined;
    try {
      wrong = Aes.AesEcb.decrypt(parseXml(refundNotes()[0].rawBody).req_info, reqInfoKey(`${m.key}x`));
    } catch {
      wrong = undefined;
    }
    expect(wrong ?? '').not.toContain(outTradeNo);
  });

  it('abnormal sends CHANGE, close sends REFUNDCLOSE', async () => {
    const a = await paidTrade();
    const b = await paidTrade();
    await call('/secapi/pay/refund', refund(a.outTradeNo));
    await call('/secapi/pay/refund', refund(b.outTradeNo));
    await emu.settleRefund(`R${a.outTradeNo}`, 'abnormal');
    await emu.settleRefund(`R${b.outTradeNo}`, 'close');
    expect(decrypted().map((x) => [x.out_refund_no, x.refund_status, x.success_time])).toEqual([
      [`R${a.outTradeNo}`, 'CHANGE', undefined],
      [`R${b.outTradeNo}`, 'REFUNDCLOSE', undefined],
    ]);
  });

  it('only the SUCCESS XML acknowledges: anything else is delivered again', async () => {
    const { outTradeNo } = await paidTrade();
    await call('/secapi/pay/refund', refund(outTradeNo));
    answer = 'success';
    await emu.settleRefund(`R${outTradeNo}`, 'succeed');
    await until(() => refundNotes().length === 2);
    answer = SUCCESS_XML;
    const r = emu.listRefunds().find((x) => x.outRefundNo === `R${outTradeNo}`)!;
    await until(() => r.deliveries.some((d) => d.accepted));
    expect(r.deliveries.map((d) => [d.attempt, d.accepted, d.event])).toEqual([
      [1, false, 'refund_status SUCCESS'],
      [2, false, 'refund_status SUCCESS'],
      [3, true, 'refund_status SUCCESS'],
    ]);
  });
});
