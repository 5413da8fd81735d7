import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Aes, Hash } from 'wechatpay-axios-plugin';
import { loadConfig, type V2SignType, type WxPayV2Config } from '../../cloudfunctions/common/config';
import { ProviderError } from '../../cloudfunctions/common/errors';
import { NotificationRejected, type HttpReply, type HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import type { RefundApplication } from '../../cloudfunctions/common/payment/refund';
import { WxPayV2Gateway } from '../../cloudfunctions/common/wxpay/v2/gateway';
import { decryptReqInfo, encryptReqInfo } from '../../cloudfunctions/common/wxpay/v2/refund';
import { withSign } from '../../cloudfunctions/common/wxpay/v2/sign';
import { parseXml, toXml } from '../../cloudfunctions/common/wxpay/v2/xml';
import { serveHttp } from '../helpers/loopback';
import { merchant, v2Config } from './helpers';
import { makeTlsFixture, serveMutualTls } from './tls';

/**
 * v2 refunds: /secapi/pay/refund over mutual TLS (a loopback https server that demands our client
 * certificate), /pay/refundquery, and `req_info` refund notifications, cross-checked with
 * wechatpay-axios-plugin (signatures with Hash.sign, req_info with Aes.AesEcb).
 */

const m = merchant();
const tlsFixture = makeTlsFixture();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v2-refund-'));
const file = (name: string, text: string) => (fs.writeFileSync(path.join(dir, name), text), name);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Through loadConfig, as a deployment gets it: PEM files named by the new variables. */
function configFor(apiBase: string, signType: V2SignType, client = tlsFixture.client): WxPayV2Config {
  const config = loadConfig(
    {
      WXPAY_MCHID: m.mchid,
      WXPAY_APPID: m.appid,
      WXPAY_API_VERSION: 'v2',
      WXPAY_V2_KEY: m.key,
      WXPAY_V2_SIGN_TYPE: signType,
      WXPAY_API_BASE: apiBase,
      WXPAY_NOTIFY_URL: 'https://example.com/payNotify',
      WXPAY_API_CA_PATH: file('ca.pem', tlsFixture.ca),
      WXPAY_V2_CERT_PATH: file(`cert-${client.cert.length}.pem`, client.cert),
      WXPAY_V2_CERT_KEY_PATH: file(`key-${client.key.length}.pem`, client.key),
    },
    dir,
  );
  return config.wxpay as WxPayV2Config;
}

const application = (over: Partial<RefundApplication> = {}): RefundApplication => ({
  outTradeNo: 'T20240101000001',
  outRefundNo: 'R20240101000001-1',
  totalFen: 980,
  amountFen: 300,
  reason: '商品缺货',
  notifyUrl: 'https://example.com/payNotify',
  ...over,
});

const noDelay = { retry: { attempts: 2, firstDelayMs: 1 }, timeoutMs: 2000 };

/** A platform answer, signed with the plugin's Hash.sign. */
function signedAnswer(fields: Record<string, string>, signType: V2SignType): HttpReply {
  const all = { return_code: 'SUCCESS', result_code: 'SUCCESS', appid: m.appid, mch_id: m.mchid, nonce_str: crypto.randomBytes(8).toString('hex'), ...fields };
  return { statusCode: 200, headers: { 'content-type': 'text/xml' }, body: toXml({ ...all, sign: Hash.sign(signType, all, m.key) }) };
}

describe.each<V2SignType>(['MD5', 'HMAC-SHA256'])('refund over mutual TLS (%s)', (signType) => {
  let seen: Array<{ fields: Record<string, string>; path: string; peer?: string }>;
  let reply: (fields: Record<string, string>) => HttpReply;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    server = await serveMutualTls(tlsFixture, async (req, peer) => {
      const fields = parseXml(req.rawBody);
      seen.push({ fields, path: req.path, peer });
      return reply(fields);
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    seen = [];
    reply = (f) => signedAnswer({ out_trade_no: f.out_trade_no, out_refund_no: f.out_refund_no, refund_id: '50000000382019052709732678859', refund_fee: f.refund_fee, total_fee: f.total_fee }, signType);
  });

  it('presents the merchant certificate and sends signed fields the plugin verifies; the answer means accepted', async () => {
    const report = await new WxPayV2Gateway(configFor(server.url, signType), noDelay).refund(application());
    expect(seen).toHaveLength(1);
    const { fields, path: p, peer } = seen[0];
    expect([p, peer]).toEqual(['/secapi/pay/refund', '1900000109']);
    expect(fields.sign).toBe(Hash.sign(signType, fields, m.key));
    expect(fields).toMatchObject({
      appid: m.appid,
      mch_id: m.mchid,
      sign_type: signType,
      out_trade_no: 'T20240101000001',
      out_refund_no: 'R20240101000001-1',
      total_fee: '980',
      refund_fee: '300',
      refund_desc: '商品缺货',
      notify_url: 'https://example.com/payNotify',
    });
    expect(report).toEqual({ outRefundNo: 'R20240101000001-1', outTradeNo: 'T20240101000001', status: 'PROCESSING', amountFen: 300, totalFen: 980, providerRefundId: '50000000382019052709732678859' });
  });

  it('without the certificate pair: REFUND_UNAVAILABLE, nothing sent', async () => {
    const { clientCert: _, ...withoutCert } = configFor(server.url, signType);
    await expect(new WxPayV2Gateway(withoutCert, noDelay).refund(application())).rejects.toMatchObject({ code: 'REFUND_UNAVAILABLE', message: expect.stringContaining('WXPAY_V2_CERT_PATH') });
    expect(seen).toHaveLength(0);
  });

  it('a certificate the platform does not know gets no answer at all', async () => {
    const e = await new WxPayV2Gateway(configFor(server.url, signType, tlsFixture.stranger), noDelay).refund(application()).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).message).toMatch(/unreachable/);
    expect(seen).toHaveLength(0);
  });

  it('passes on a refusal with its err_code; refuses an answer about another refund', async () => {
    reply = () => signedAnswer({ result_code: 'FAIL', err_code: 'REFUND_FEE_MISMATCH', err_code_des: '订单金额或退款金额与之前请求不一致' }, signType);
    await expect(new WxPayV2Gateway(configFor(server.url, signType), noDelay).refund(application())).rejects.toMatchObject({ providerCode: 'REFUND_FEE_MISMATCH', retryable: false });
    reply = (f) => signedAnswer({ out_trade_no: f.out_trade_no, out_refund_no: 'R-other', refund_fee: '300' }, signType);
    await expect(new WxPayV2Gateway(configFor(server.url, signType), noDelay).refund(application())).rejects.toThrow(/R-other/);
  });
});

describe('queryRefund (/pay/refundquery)', () => {
  let answer: Record<string, string>;
  let seen: Record<string, string>[];
  let api: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    api = await serveHttp(async (req) => {
      seen.push(parseXml(req.rawBody));
      return signedAnswer(answer, 'MD5');
    });
  });
  afterAll(() => api.close());
  beforeEach(() => {
    seen = [];
  });
  const gw = () => new WxPayV2Gateway(v2Config(m, api.url, 'https://example.com/payNotify', 'MD5'), noDelay);
  const query = { outTradeNo: 'T20240101000001', outRefundNo: 'R20240101000001-2', amountFen: 200, totalFen: 980 };
  const listing = (status: string, extra: Record<string, string> = {}) => ({
    out_trade_no: 'T20240101000001',
    total_fee: '980',
    refund_count: '2',
    out_refund_no_0: 'R20240101000001-1',
    refund_id_0: '50000000000000000000000000001',
    refund_fee_0: '300',
    refund_status_0: 'SUCCESS',
    refund_success_time_0: '2024-01-01 12:00:05',
    out_refund_no_1: 'R20240101000001-2',
    refund_id_1: '50000000000000000000000000002',
    refund_fee_1: '200',
    refund_status_1: status,
    ...extra,
  });

  it('asks by out_refund_no and reads that refund out of the numbered list', async () => {
    answer = listing('SUCCESS', { refund_success_time_1: '2024-01-02 08:00:00' });
    expect(await gw().queryRefund(query)).toEqual({
      outRefundNo: 'R20240101000001-2',
      outTradeNo: 'T20240101000001',
      status: 'SUCCESS',
      amountFen: 200,
      totalFen: 980,
      providerRefundId: '50000000000000000000000000002',
      succeededAt: Date.parse('2024-01-02T00:00:00Z'),
    });
    expect(seen[0]).toMatchObject({ out_refund_no: 'R20240101000001-2' });
    expect(seen[0].sign).toBe(Hash.sign('MD5', seen[0], m.key));
  });

  it('maps PROCESSING, CHANGE (abnormal) and REFUNDCLOSE; refuses a listing without our refund', async () => {
    for (const [theirs, ours] of [['PROCESSING', 'PROCESSING'], ['CHANGE', 'ABNORMAL'], ['REFUNDCLOSE', 'CLOSED']]) {
      answer = listing(theirs);
      expect((await gw().queryRefund(query)).status).toBe(ours);
    }
    answer = listing('SUCCESS', { out_refund_no_1: 'R-other' });
    await expect(gw().queryRefund(query)).rejects.toThrow(/does not list/);
    answer = listing('WHATEVER');
    await expect(gw().queryRefund(query)).rejects.toBeInstanceOf(ProviderError);
  });
});

describe('refund notifications (req_info, no sign)', () => {
  const md5Key = crypto.createHash('md5').update(m.key).digest('hex');
  const gw = () => new WxPayV2Gateway(v2Config(m, 'https://api.mch.weixin.qq.com', 'https://example.com/payNotify', 'MD5'));
  const ctx = { signTypeOf: async () => 'MD5' as const };
  const inner = (over: Record<string, string> = {}) => {
    const f = {
      out_trade_no: 'T20240101000001',
      transaction_id: '4200000000000000000000000001',
      out_refund_no: 'R20240101000001-1',
      refund_id: '50000000382019052709732678859',
      total_fee: '980',
      refund_fee: '300',
      settlement_refund_fee: '300',
      refund_status: 'SUCCESS',
      success_time: '2024-01-01 12:00:05',
      refund_recv_accout: '支付用户零钱',
      refund_account: 'REFUND_SOURCE_RECHARGE_FUNDS',
      refund_request_source: 'API',
      ...over,
    };
    return `<root>${Object.entries(f).map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`).join('')}</root>`;
  };
  const outer = (reqInfo: string, over: Record<string, string> = {}): HttpRequestLike => ({
    method: 'POST',
    path: '/payNotify',
    headers: { 'content-type': 'text/xml' },
    rawBody: Buffer.from(toXml({ return_code: 'SUCCESS', appid: m.appid, mch_id: m.mchid, nonce_str: 'abc', req_info: reqInfo, ...over })),
  });
  const rejection = async (req: HttpRequestLike) => {
    const e = await gw().readAnyNotification(req, ctx).catch((err: unknown) => err);
    return e instanceof NotificationRejected ? e.statusCode : e;
  };

  it('decrypts what the plugin encrypts, and the plugin decrypts what we encrypt', () => {
    const text = inner();
    expect(decryptReqInfo(Aes.AesEcb.encrypt(text, md5Key), m.key)).toBe(text);
    expect(Aes.AesEcb.decrypt(encryptReqInfo(text, m.key), md5Key)).toBe(text);
  });

  it('reads a refund notification encrypted by the plugin', async () => {
    expect(await gw().readAnyNotification(outer(Aes.AesEcb.encrypt(inner(), md5Key)), ctx)).toEqual({
      kind: 'refund',
      report: {
        outRefundNo: 'R20240101000001-1',
        outTradeNo: 'T20240101000001',
        status: 'SUCCESS',
        amountFen: 300,
        totalFen: 980,
        providerRefundId: '50000000382019052709732678859',
        succeededAt: Date.parse('2024-01-01T04:00:05Z'),
      },
    });
    const change = await gw().readAnyNotification(outer(encryptReqInfo(inner({ refund_status: 'CHANGE', success_time: '' }), m.key)), ctx);
    expect(change).toMatchObject({ kind: 'refund', report: { status: 'ABNORMAL' } });
    const closed = await gw().readAnyNotification(outer(encryptReqInfo(inner({ refund_status: 'REFUNDCLOSE', success_time: '' }), m.key)), ctx);
    expect(closed).toMatchObject({ kind: 'refund', report: { status: 'CLOSED' } });
  });

  it('refuses req_info under another key, garbage, another merchant, and unusable contents', async () => {
    const otherKey = crypto.createHash('md5').update('b'.repeat(32)).digest('hex');
    expect(await rejection(outer(Aes.AesEcb.encrypt(inner(), otherKey)))).toBe(401);
    expect(await rejection(outer('not base64 at all!'))).toBe(401);
    expect(await rejection(outer(Aes.AesEcb.encrypt('just text, no XML', md5Key)))).toBe(401);
    expect(await rejection(outer(Aes.AesEcb.encrypt(inner(), md5Key), { mch_id: '1900000999' }))).toBe(401);
    expect(await rejection(outer(Aes.AesEcb.encrypt(inner({ refund_fee: '3.00' }), md5Key)))).toBe(400);
    expect(await rejection(outer(Aes.AesEcb.encrypt(inner({ refund_status: 'DONE' }), md5Key)))).toBe(400);
    expect(await rejection(outer(Aes.AesEcb.encrypt(inner({ success_time: '' }), md5Key)))).toBe(400);
  });

  it('a signed payment notification on the same URL is still a payment', async () => {
    const fields = withSign(
      { return_code: 'SUCCESS', result_code: 'SUCCESS', appid: m.appid, mch_id: m.mchid, nonce_str: 'n1', out_trade_no: 'T20240101000001', total_fee: 980, transaction_id: '4200000000000000000000000001', time_end: '20240101120005' },
      'MD5',
      m.key,
    );
    const req = { method: 'POST', path: '/payNotify', headers: {}, rawBody: Buffer.from(toXml(fields)) };
    expect(await gw().readAnyNotification(req, ctx)).toMatchObject({ kind: 'payment', report: { outTradeNo: 'T20240101000001', state: 'SUCCESS', amountFen: 980 } });
  });
});
