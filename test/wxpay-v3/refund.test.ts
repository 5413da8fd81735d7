import * as crypto from 'node:crypto';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { ProviderError } from '../../cloudfunctions/common/errors';
import { NotificationRejected, type HttpReply, type HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import type { RefundApplication } from '../../cloudfunctions/common/payment/refund';
import { parseAuthorization } from '../../cloudfunctions/common/wxpay/v3/authorization';
import { WxPayV3Gateway } from '../../cloudfunctions/common/wxpay/v3/gateway';
import { wechatpayHeaders } from '../../cloudfunctions/common/wxpay/v3/signing';
import { serveHttp, type Served } from '../helpers/loopback';
import { makeV3Keys } from '../helpers/wxpay-keys';

/**
 * v3 refunds against a small loopback WeChat Pay: every request's signature is checked with
 * wechatpay-axios-plugin (an independent implementation), every answer is signed with the platform key.
 */

const keys = makeV3Keys();
const platform = { serial: keys.platform.publicKeyId, privateKey: keys.platform.privateKey };
const noDelay = { attempts: 3, firstDelayMs: 1 };

interface Seen {
  req: HttpRequestLike;
  /** The plugin's verdict on our Authorization header. */
  signatureValid: boolean;
}

let api: Served;
let seen: Seen[];
let answer: (req: HttpRequestLike) => { status: number; body: unknown; sign?: boolean };

const pluginVerifies = (req: HttpRequestLike): boolean => {
  const auth = parseAuthorization(req.headers.authorization);
  if (!auth || auth.mchid !== keys.merchant.mchid || auth.serialNo !== keys.merchant.certSerial) return false;
  const message = Formatter.request(req.method, req.path, auth.timestamp, auth.nonceStr, req.rawBody.toString('utf8'));
  return Rsa.verify(message, auth.signature, keys.merchant.publicKey);
};

beforeAll(async () => {
  api = await serveHttp(async (req): Promise<HttpReply> => {
    seen.push({ req, signatureValid: pluginVerifies(req) });
    const { status, body, sign = true } = answer(req);
    const text = JSON.stringify(body);
    return { statusCode: status, headers: { 'content-type': 'application/json', ...(sign ? wechatpayHeaders(text, platform, Date.now()) : {}) }, body: text };
  });
});
afterAll(() => api.close());
beforeEach(() => {
  seen = [];
});

const gateway = () => new WxPayV3Gateway(keys.config(`${api.url}/v3base`), { retry: noDelay, timeoutMs: 2000 });

const application = (over: Partial<RefundApplication> = {}): RefundApplication => ({
  outTradeNo: 'T20240101000001',
  outRefundNo: 'R20240101000001-1',
  totalFen: 980,
  amountFen: 300,
  reason: '商品缺货',
  notifyUrl: 'https://example.com/payNotify',
  ...over,
});

const refundObject = (over: Record<string, unknown> = {}) => ({
  refund_id: '50000000382019052709732678859',
  out_refund_no: 'R20240101000001-1',
  transaction_id: '4200000000000000000000000001',
  out_trade_no: 'T20240101000001',
  channel: 'ORIGINAL',
  user_received_account: '招商银行信用卡0403',
  create_time: '2024-01-01T12:00:00+08:00',
  status: 'PROCESSING',
  amount: { total: 980, refund: 300, payer_total: 980, payer_refund: 300, currency: 'CNY' },
  ...over,
});

describe('refund (POST /v3/refund/domestic/refunds)', () => {
  it('sends a request the plugin verifies, with the documented body; the answer only means accepted', async () => {
    answer = () => ({ status: 200, body: refundObject() });
    const report = await gateway().refund(application());
    expect(seen).toHaveLength(1);
    const { req, signatureValid } = seen[0];
    expect(signatureValid).toBe(true);
    expect([req.method, req.path]).toEqual(['POST', '/v3base/v3/refund/domestic/refunds']);
    expect(JSON.parse(req.rawBody.toString())).toEqual({
      out_trade_no: 'T20240101000001',
      out_refund_no: 'R20240101000001-1',
      reason: '商品缺货',
      notify_url: 'https://example.com/payNotify',
      amount: { refund: 300, total: 980, currency: 'CNY' },
    });
    expect(report).toEqual({
      outRefundNo: 'R20240101000001-1',
      outTradeNo: 'T20240101000001',
      status: 'PROCESSING',
      amountFen: 300,
      totalFen: 980,
      providerRefundId: '50000000382019052709732678859',
    });
  });

  it('retries a 5xx with the very same body and refund number', async () => {
    let n = 0;
    answer = () => (++n === 1 ? { status: 503, body: { code: 'SYSTEM_ERROR', message: 'busy' } } : { status: 200, body: refundObject() });
    await gateway().refund(application());
    expect(seen).toHaveLength(2);
    expect(seen[1].req.rawBody.equals(seen[0].req.rawBody)).toBe(true);
    expect(seen.every((s) => s.signatureValid)).toBe(true);
  });

  it('leaves out what is not given (WeChat Pay refuses nulls)', async () => {
    answer = () => ({ status: 200, body: refundObject() });
    await gateway().refund(application({ reason: undefined, notifyUrl: undefined }));
    expect(Object.keys(JSON.parse(seen[0].req.rawBody.toString()))).toEqual(['out_trade_no', 'out_refund_no', 'amount']);
  });

  it('takes a reason of up to 80 UTF-8 bytes, as WeChat Pay documents (not 80 characters)', async () => {
    answer = () => ({ status: 200, body: refundObject() });
    const reason = `${'缺'.repeat(26)}ok`;
    await gateway().refund(application({ reason }));
    expect(JSON.parse(seen[0].req.rawBody.toString()).reason).toBe(reason);
  });

  it('refuses bad input before anything is sent', async () => {
    for (const bad of [{ amountFen: 981 }, { amountFen: 0 }, { amountFen: 1.5 }, { outRefundNo: 'has space' }, { outRefundNo: 'R'.repeat(65) }, { reason: 'x'.repeat(81) }, { reason: '缺'.repeat(27) }]) {
      await expect(gateway().refund(application(bad))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(seen).toHaveLength(0);
  });

  it('refuses an unsigned, forged or foreign answer, and passes on the platform refusal', async () => {
    answer = () => ({ status: 200, body: refundObject(), sign: false });
    await expect(gateway().refund(application())).rejects.toMatchObject({ providerCode: 'ANSWER_SIGNATURE_INVALID' });
    answer = () => ({ status: 200, body: refundObject({ out_refund_no: 'R-other' }) });
    await expect(gateway().refund(application())).rejects.toThrow(/R-other/);
    answer = () => ({ status: 200, body: refundObject({ status: 'DONE' }) });
    await expect(gateway().refund(application())).rejects.toBeInstanceOf(ProviderError);
    answer = () => ({ status: 403, body: { code: 'NOT_ENOUGH', message: '基本账户余额不足' } });
    const e = await gateway().refund(application()).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'PROVIDER_ERROR', providerCode: 'NOT_ENOUGH', retryable: false });
  });
});

describe('queryRefund (GET /v3/refund/domestic/refunds/{out_refund_no})', () => {
  it('asks by out_refund_no, signed, and reads the outcome', async () => {
    answer = () => ({ status: 200, body: refundObject({ status: 'SUCCESS', success_time: '2024-01-01T12:00:05+08:00' }) });
    const report = await gateway().queryRefund({ outTradeNo: 'T20240101000001', outRefundNo: 'R20240101000001-1', amountFen: 300, totalFen: 980 });
    expect(seen.map((s) => [s.req.method, s.req.path, s.req.rawBody.length, s.signatureValid])).toEqual([['GET', '/v3base/v3/refund/domestic/refunds/R20240101000001-1', 0, true]]);
    expect(report).toMatchObject({ status: 'SUCCESS', amountFen: 300, succeededAt: Date.parse('2024-01-01T04:00:05Z') });
  });

  it('reads ABNORMAL and CLOSED; an unknown number is the platform error', async () => {
    answer = () => ({ status: 200, body: refundObject({ status: 'ABNORMAL' }) });
    const q = { outTradeNo: 'T20240101000001', outRefundNo: 'R20240101000001-1', amountFen: 300, totalFen: 980 };
    expect((await gateway().queryRefund(q)).status).toBe('ABNORMAL');
    answer = () => ({ status: 200, body: refundObject({ status: 'CLOSED' }) });
    expect((await gateway().queryRefund(q)).status).toBe('CLOSED');
    answer = () => ({ status: 404, body: { code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' } });
    await expect(gateway().queryRefund(q)).rejects.toMatchObject({ providerCode: 'RESOURCE_NOT_EXISTS' });
  });
});

describe('refund notifications (same URL, envelope and keys as payments)', () => {
  const NOW = Date.now();
  const gw = () => new WxPayV3Gateway(keys.config('https://api.mch.weixin.qq.com'), { now: () => NOW });
  const plain = (over: Record<string, unknown> = {}) => ({
    mchid: keys.merchant.mchid,
    out_trade_no: 'T20240101000001',
    transaction_id: '4200000000000000000000000001',
    out_refund_no: 'R20240101000001-1',
    refund_id: '50000000382019052709732678859',
    refund_status: 'SUCCESS',
    success_time: '2024-01-01T12:00:05+08:00',
    user_received_account: '招商银行信用卡0403',
    amount: { total: 980, refund: 300, payer_total: 980, payer_refund: 300 },
    ...over,
  });
  /** Encrypted by the plugin (independent AES-GCM), as the platform does it. */
  const envelope = (resource: object, eventType: string, key = keys.merchant.apiV3Key) => {
    const nonce = crypto.randomBytes(6).toString('hex');
    const ciphertext = Aes.AesGcm.encrypt(JSON.stringify(resource), key.toString('utf8'), nonce, 'refund');
    return JSON.stringify({
      id: crypto.randomUUID(),
      create_time: '2024-01-01T12:00:06+08:00',
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: '退款成功',
      resource: { original_type: 'refund', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: 'refund', nonce },
    });
  };
  const request = (body: string, key = platform): HttpRequestLike => ({
    method: 'POST',
    path: '/payNotify',
    headers: { 'content-type': 'application/json', ...wechatpayHeaders(body, key, NOW) },
    rawBody: Buffer.from(body),
  });
  const rejection = async (req: HttpRequestLike) => {
    const e = await gw().readAnyNotification(req).catch((err: unknown) => err);
    return e instanceof NotificationRejected ? e.statusCode : e;
  };

  it('reads REFUND.SUCCESS, ABNORMAL and CLOSED', async () => {
    expect(await gw().readAnyNotification(request(envelope(plain(), 'REFUND.SUCCESS')))).toEqual({
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
    const abnormal = await gw().readAnyNotification(request(envelope(plain({ refund_status: 'ABNORMAL', success_time: undefined }), 'REFUND.ABNORMAL')));
    expect(abnormal).toMatchObject({ kind: 'refund', report: { status: 'ABNORMAL' } });
    const closed = await gw().readAnyNotification(request(envelope(plain({ refund_status: 'CLOSED', success_time: undefined }), 'REFUND.CLOSED')));
    expect(closed).toMatchObject({ kind: 'refund', report: { status: 'CLOSED' } });
  });

  it('refuses forged, undecryptable, inconsistent and foreign refund notifications', async () => {
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(await rejection(request(envelope(plain(), 'REFUND.SUCCESS'), { serial: platform.serial, privateKey: other.privateKey }))).toBe(401);
    expect(await rejection(request(envelope(plain(), 'REFUND.SUCCESS', Buffer.from('x'.repeat(32)))))).toBe(401);
    expect(await rejection(request(envelope(plain({ refund_status: 'CLOSED' }), 'REFUND.SUCCESS')))).toBe(400);
    expect(await rejection(request(envelope(plain({ mchid: '1900000999' }), 'REFUND.SUCCESS')))).toBe(400);
    expect(await rejection(request(envelope(plain({ success_time: undefined }), 'REFUND.SUCCESS')))).toBe(400);
    expect(await rejection(request(envelope(plain({ amount: { total: 980, refund: '300' } }), 'REFUND.SUCCESS')))).toBe(400);
    expect(await rejection(request(envelope(plain(), 'REFUND.SOMETHING')))).toBe(400);
  });

  it('the payment-only reader still refuses refund events', async () => {
    const e = await gw().readNotification(request(envelope(plain(), 'REFUND.SUCCESS'))).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(NotificationRejected);
    expect((e as NotificationRejected).statusCode).toBe(400);
  });
});
