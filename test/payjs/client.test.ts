import { createHash, randomBytes } from 'node:crypto';
import type { PayjsConfig } from '../../cloudfunctions/common/config';
import { AppError, ProviderError } from '../../cloudfunctions/common/errors';
import { nextCheckDelayMs, PayjsClient, rejectsPayjsOrderId } from '../../cloudfunctions/common/payjs/client';
import { buildPayjsJump } from '../../cloudfunctions/common/payjs/jump';
import { Notifier } from '../../scripts/local-host/emulators/notifier';
import { createPayjsEmulator, isPayjsNotifyAccepted, type PayjsEmulator } from '../../scripts/local-host/emulators/payjs';
import { payjsReferenceSign } from '../helpers/forge-payjs';
import { serveEmulator, type Served } from './helpers';

const MCHID = '1230000109';
const KEY = randomBytes(16).toString('hex');
const PAID_AT = Date.UTC(2024, 4, 1, 4, 0, 5);

let emulator: PayjsEmulator;
let server: Served;
let config: PayjsConfig;
let notifier: Notifier;

beforeEach(async () => {
  notifier = new Notifier({ scheduleMs: [], isAccepted: isPayjsNotifyAccepted });
  emulator = createPayjsEmulator({ mchid: MCHID, key: KEY, notifier, now: () => PAID_AT });
  server = await serveEmulator((req) => emulator.handle(req));
  // No notify_url reachable: these tests learn of payments by check only.
  config = { mchid: MCHID, key: KEY, apiBase: server.url, notifyUrl: 'http://127.0.0.1:9/unused' };
});

afterEach(async () => {
  notifier.stop();
  await server.close();
});

function placed(outTradeNo = 'ORD1', amountFen = 980) {
  const jump = buildPayjsJump(config, { outTradeNo, amountFen, description: '咖啡豆', attach: 'order:1' });
  return emulator.jump({ ...jump.extraData, notify_url: undefined, sign: payjsReferenceSign({ ...jump.extraData, notify_url: undefined }, KEY) });
}

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('PayjsClient.check against the emulator', () => {
  it('reports a paid order with amount, ids and paid time', async () => {
    const payment = placed();
    await emulator.settle(payment.id, 'pay');
    const report = await new PayjsClient(config).check(payment.id);
    expect(report).toEqual({
      outTradeNo: 'ORD1',
      state: 'SUCCESS',
      mchid: MCHID,
      amountFen: 980,
      transactionId: payment.transactionId,
      paidAt: PAID_AT,
      openid: payment.openid,
      payjsOrderId: payment.id,
      attach: 'order:1',
    });
  });

  it('sends a form with payjs_order_id and a valid sign', async () => {
    const payment = placed();
    await new PayjsClient(config).check(payment.id);
    expect(emulator.received).toHaveLength(1);
    const form = Object.fromEntries(new URLSearchParams(emulator.received[0].body));
    expect(form).toEqual({ payjs_order_id: payment.id, sign: payjsReferenceSign({ payjs_order_id: payment.id }, KEY) });
  });

  it('reports an unpaid (or cancelled) order as NOTPAY', async () => {
    const payment = placed();
    await emulator.settle(payment.id, 'cancel');
    const report = await new PayjsClient(config).check(payment.id);
    expect(report).toMatchObject({ state: 'NOTPAY', outTradeNo: 'ORD1', amountFen: 980, payjsOrderId: payment.id });
    expect(report.paidAt).toBeUndefined();
    expect(report.transactionId).toBeUndefined();
  });

  it('accepts an unpaid answer PAYJS signed without its falsy fields (status 0, empty attach)', async () => {
    const payment = placed();
    const unpaid = { return_code: 1, mchid: MCHID, out_trade_no: 'ORD1', payjs_order_id: payment.id, status: 0, total_fee: 980, attach: '', paid_time: null };
    const reply = (sign: string) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...unpaid, sign }) });
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: reply(payjsReferenceSign(unpaid, KEY)) });
    expect(await new PayjsClient(config).check(payment.id)).toMatchObject({ state: 'NOTPAY', outTradeNo: 'ORD1', amountFen: 980, attach: undefined });
    // Signed with status=0 and attach= in the string (not how PAYJS signs): refused.
    const signedAll = createHash('md5').update(`attach=&mchid=${MCHID}&out_trade_no=ORD1&payjs_order_id=${payment.id}&return_code=1&status=0&total_fee=980&key=${KEY}`).digest('hex').toUpperCase();
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: reply(signedAll) });
    expect((await providerError(new PayjsClient(config).check(payment.id))).providerCode).toBe('SIGN_ERROR');
  });

  it('refuses an answer whose sign does not verify (a forged "paid")', async () => {
    const payment = placed();
    const forged = { return_code: 1, mchid: MCHID, out_trade_no: 'ORD1', payjs_order_id: payment.id, status: 1, total_fee: 980 };
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...forged, sign: payjsReferenceSign(forged, 'not-the-key') }) } });
    const err = await providerError(new PayjsClient(config).check(payment.id));
    expect(err.providerCode).toBe('SIGN_ERROR');
    expect(err.retryable).toBe(false);
  });

  it('refuses a correctly signed answer about another order', async () => {
    const a = placed('ORD1');
    const b = placed('ORD2');
    const body = await emulator.handle({ method: 'POST', path: '/api/check', query: new URLSearchParams(), headers: {}, rawBody: Buffer.from(new URLSearchParams({ payjs_order_id: b.id, sign: payjsReferenceSign({ payjs_order_id: b.id }, KEY) }).toString()) });
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: body! });
    await providerError(new PayjsClient(config).check(a.id));
  });

  it('turns an unknown order (return_code 0, signed) into a non-retryable ProviderError', async () => {
    const err = await providerError(new PayjsClient(config).check('2024050100000000000000'));
    expect(err.providerCode).toBe('CHECK_FAILED');
    expect(err.message).toContain('order not found');
    expect(err.retryable).toBe(false);
  });

  it('times out a slow answer as a retryable ProviderError', async () => {
    const payment = placed();
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'delay', ms: 600, times: 1 });
    const started = Date.now();
    const err = await providerError(new PayjsClient(config, { timeoutMs: 150 }).check(payment.id));
    expect(err.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(550);
  });

  it('turns a 5xx into a retryable ProviderError, and a 4xx into a final one', async () => {
    const payment = placed();
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: { statusCode: 502, headers: {}, body: 'bad gateway' } });
    const e5 = await providerError(new PayjsClient(config).check(payment.id));
    expect(e5).toMatchObject({ retryable: true, providerCode: 'HTTP_502' });
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: { statusCode: 403, headers: {}, body: 'blocked' } });
    expect(await providerError(new PayjsClient(config).check(payment.id))).toMatchObject({ retryable: false });
  });

  it('refuses a non-JSON answer', async () => {
    const payment = placed();
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: { statusCode: 200, headers: {}, body: '<html>' } });
    await providerError(new PayjsClient(config).check(payment.id));
  });

  it('refuses a malformed payjsOrderId before sending anything', async () => {
    for (const id of ['', 'a'.repeat(33), '1&sign=x', '订单']) {
      await expect(new PayjsClient(config).check(id)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(new PayjsClient(config).check('x y')).rejects.toBeInstanceOf(AppError);
    expect(emulator.received).toHaveLength(0);
  });
});

describe('PayjsClient.close against the emulator', () => {
  it('closes a waiting order: the payer can no longer pay it, and closing again is no error', async () => {
    const payment = placed();
    await new PayjsClient(config).close(payment.id);
    expect(payment.status).toBe('CLOSED');
    expect(emulator.received.map((r) => r.path)).toEqual(['/api/close']);
    const form = Object.fromEntries(new URLSearchParams(emulator.received[0].body));
    expect(form).toEqual({ payjs_order_id: payment.id, sign: payjsReferenceSign({ payjs_order_id: payment.id }, KEY) });
    await expect(emulator.settle(payment.id, 'pay')).rejects.toMatchObject({ statusCode: 409 });
    await expect(new PayjsClient(config).close(payment.id)).resolves.toBeUndefined();
    expect(await new PayjsClient(config).check(payment.id)).toMatchObject({ state: 'NOTPAY' });
  });

  it('is refused for a paid order (CLOSE_FAILED, with PAYJS\'s message), which stays paid', async () => {
    const payment = placed();
    await emulator.settle(payment.id, 'pay');
    const err = await providerError(new PayjsClient(config).close(payment.id));
    expect(err).toMatchObject({ providerCode: 'CLOSE_FAILED', retryable: false });
    expect(err.message).toContain('已支付');
    expect(payment.status).toBe('PAID');
  });

  it('is refused for an unknown order', async () => {
    expect(await providerError(new PayjsClient(config).close('2024050100000000000000'))).toMatchObject({ providerCode: 'CLOSE_FAILED' });
  });

  it('verifies the answer: a forged success, or one about another order, is not a close', async () => {
    const payment = placed();
    const answer = (fields: Record<string, unknown>, key: string) => ({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...fields, sign: payjsReferenceSign(fields, key) }),
    });
    const ok = { return_code: 1, return_msg: 'SUCCESS', payjs_order_id: payment.id };
    emulator.faults.add({ pathIncludes: '/api/close', kind: 'reply', times: 1, reply: answer(ok, 'not-the-key') });
    expect(await providerError(new PayjsClient(config).close(payment.id))).toMatchObject({ providerCode: 'SIGN_ERROR' });
    emulator.faults.add({ pathIncludes: '/api/close', kind: 'reply', times: 1, reply: answer({ ...ok, payjs_order_id: '2024050100000000000000' }, KEY) });
    await providerError(new PayjsClient(config).close(payment.id));
    emulator.faults.add({ pathIncludes: '/api/close', kind: 'reply', times: 1, reply: answer({ return_code: 1, return_msg: 'SUCCESS' }, KEY) });
    await providerError(new PayjsClient(config).close(payment.id));
    expect(payment.status).toBe('WAITING'); // every answer above was a fault: nothing reached the order
    emulator.faults.add({ pathIncludes: '/api/close', kind: 'reply', times: 1, reply: { statusCode: 503, headers: {}, body: '' } });
    expect(await providerError(new PayjsClient(config).close(payment.id))).toMatchObject({ retryable: true, providerCode: 'HTTP_503' });
  });

  it('refuses a malformed payjsOrderId before sending anything', async () => {
    await expect(new PayjsClient(config).close('1&sign=x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(emulator.received).toHaveLength(0);
  });
});

describe('rejectsPayjsOrderId', () => {
  it('is true for check failures that say the id is not ours (signed refusal, unsigned answer) only', async () => {
    const payment = placed();
    const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
    expect(rejectsPayjsOrderId(await failure(new PayjsClient(config).check('2024050100000000000000')))).toBe(true);
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: { statusCode: 200, headers: {}, body: JSON.stringify({ return_code: 0, msg: '订单不存在' }) } });
    expect(rejectsPayjsOrderId(await failure(new PayjsClient(config).check(payment.id)))).toBe(true);
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: { statusCode: 502, headers: {}, body: '' } });
    expect(rejectsPayjsOrderId(await failure(new PayjsClient(config).check(payment.id)))).toBe(false);
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: { statusCode: 200, headers: {}, body: '<html>' } });
    expect(rejectsPayjsOrderId(await failure(new PayjsClient(config).check(payment.id)))).toBe(false);
    expect(rejectsPayjsOrderId(await failure(new PayjsClient({ ...config, apiBase: 'http://127.0.0.1:9' }).check(payment.id)))).toBe(false);
    expect(rejectsPayjsOrderId(new Error('CHECK_FAILED'))).toBe(false);
  });
});

describe('nextCheckDelayMs', () => {
  it('backs off 5 s, 15 s, 30 s, 60 s, then stays at 120 s', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map(nextCheckDelayMs)).toEqual([5_000, 15_000, 30_000, 60_000, 120_000, 120_000, 120_000]);
  });

  it('refuses a negative or fractional count', () => {
    expect(() => nextCheckDelayMs(-1)).toThrow(RangeError);
    expect(() => nextCheckDelayMs(1.5)).toThrow(RangeError);
  });
});
