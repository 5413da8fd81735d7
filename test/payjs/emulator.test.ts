import { randomBytes } from 'node:crypto';
import type { PayjsConfig } from '../../cloudfunctions/common/config';
import type { HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import { buildPayjsJump } from '../../cloudfunctions/common/payjs/jump';
import { payjsAck, payjsReject, readPayjsNotification } from '../../cloudfunctions/common/payjs/notification';
import { Notifier } from '../../scripts/local-host/emulators/notifier';
import { createPayjsEmulator, isPayjsNotifyAccepted, PAYJS_NOTIFY_SCHEDULE_MS, type PayjsEmulator } from '../../scripts/local-host/emulators/payjs';
import { EmulatorRefusal, type EmuRequest } from '../../scripts/local-host/emulators/types';
import type { HttpRequestLike as ReceivedNotification } from '../../cloudfunctions/common/payment/gateway';
import { until as waitFor } from '../helpers/loopback';
import { payjsReferenceSign } from '../helpers/forge-payjs';
import { serveNotifyEndpoint } from './helpers';

const MCHID = '1230000109';
const KEY = randomBytes(16).toString('hex');
const NOW = Date.UTC(2024, 4, 1, 4, 0, 5);

let notifier: Notifier;
let emulator: PayjsEmulator;
const config = (notifyUrl = 'http://127.0.0.1:9/notify'): PayjsConfig => ({ mchid: MCHID, key: KEY, apiBase: 'http://127.0.0.1:9', notifyUrl });

beforeEach(() => {
  notifier = new Notifier({ scheduleMs: [50, 50], isAccepted: isPayjsNotifyAccepted, timeoutMs: 2000 });
  emulator = createPayjsEmulator({ mchid: MCHID, key: KEY, notifier, now: () => NOW });
});
afterEach(() => notifier.stop());

/** extraData signed by the reference signer, after applying `change`. */
function extraData(change: Record<string, unknown> = {}, notifyUrl?: string): Record<string, unknown> {
  const { sign: _s, ...base } = buildPayjsJump(config(notifyUrl), { outTradeNo: 'ORD1', amountFen: 980, description: '咖啡豆', attach: 'order:1' }).extraData;
  const data = { ...base, ...change };
  return { ...data, sign: payjsReferenceSign(data, KEY) };
}

function refusal(fn: () => unknown): EmulatorRefusal {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EmulatorRefusal);
    return e as EmulatorRefusal;
  }
  throw new Error('expected a refusal');
}

const toHttpRequest = (n: ReceivedNotification): HttpRequestLike => ({ method: n.method, path: n.path, headers: n.headers, rawBody: n.rawBody });

describe('PAYJS emulator: jump', () => {
  it('creates a WAITING payment from a jump our code builds', () => {
    const jump = buildPayjsJump(config(), { outTradeNo: 'ORD1', amountFen: 980, description: '咖啡豆' });
    const p = emulator.jump({ ...jump.extraData });
    expect(p).toMatchObject({ provider: 'payjs', tradeType: 'PAYJS', outTradeNo: 'ORD1', mchid: MCHID, amountFen: 980, description: '咖啡豆', status: 'WAITING', createdAt: NOW });
    expect(p.id).toMatch(/^\d{24}$/);
    expect(emulator.list()).toEqual([p]);
  });

  it('returns the same payment for the same out_trade_no and amount (a retried jump)', () => {
    const a = emulator.jump(extraData());
    const b = emulator.jump(extraData({ nonce: 'another-nonce' }));
    expect(b.id).toBe(a.id);
    expect(emulator.list()).toHaveLength(1);
  });

  it('refuses the same out_trade_no with another amount, and a paid one', async () => {
    const a = emulator.jump(extraData({}, ''));
    expect(refusal(() => emulator.jump(extraData({ total_fee: 1 }, ''))).statusCode).toBe(400);
    await emulator.settle(a.id, 'pay');
    expect(refusal(() => emulator.jump(extraData({}, ''))).statusCode).toBe(409);
  });

  it('refuses a bad sign, an unknown mchid, and bad field values', () => {
    const good = extraData();
    refusal(() => emulator.jump({ ...good, total_fee: 1 })); // changed after signing
    refusal(() => emulator.jump({ ...good, sign: undefined }));
    refusal(() => emulator.jump(extraData({ mchid: '9999999999' })));
    for (const total_fee of [0, -5, '9.80', '1e3', 'abc']) refusal(() => emulator.jump(extraData({ total_fee })));
    refusal(() => emulator.jump({ ...extraData(), total_fee: 9.8 }));
    refusal(() => emulator.jump(extraData({ body: '中'.repeat(33) })));
    refusal(() => emulator.jump(extraData({ out_trade_no: 'A'.repeat(33) })));
    refusal(() => emulator.jump(extraData({ out_trade_no: '' })));
    refusal(() => emulator.jump(extraData({ attach: 'x'.repeat(129) })));
    refusal(() => emulator.jump(extraData({ nonce: undefined })));
    expect(emulator.list()).toHaveLength(0);
    // The limits themselves pass.
    expect(emulator.jump(extraData({ body: '中'.repeat(32), out_trade_no: 'A'.repeat(32) })).status).toBe('WAITING');
  });
});

describe('PAYJS emulator: settle and notify', () => {
  it('pay → PAID, and the notify endpoint gets a form our reader accepts', async () => {
    const endpoint = await serveNotifyEndpoint(async () => ({ status: 200, body: 'success' }));
    try {
      const p = emulator.jump(extraData({}, `${endpoint.url}/notify`));
      const settled = await emulator.settle(p.id, 'pay');
      expect(settled.status).toBe('PAID');
      expect(settled.paidAt).toBe(NOW);
      expect(settled.deliveries).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, accepted: true })]);
      expect(endpoint.received).toHaveLength(1);
      const n = endpoint.received[0];
      expect(n.method).toBe('POST');
      expect(n.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = Object.fromEntries(new URLSearchParams(n.rawBody.toString()));
      expect(Object.keys(form).sort()).toEqual(['attach', 'mchid', 'openid', 'out_trade_no', 'payjs_order_id', 'return_code', 'sign', 'time_end', 'total_fee', 'transaction_id']);
      expect(form).toMatchObject({ return_code: '1', total_fee: '980', time_end: '2024-05-01 12:00:05', attach: 'order:1' });
      expect(form.sign).toBe(payjsReferenceSign({ ...form, sign: undefined }, KEY));
      const report = await readPayjsNotification(config(), toHttpRequest(n));
      expect(report).toMatchObject({ outTradeNo: 'ORD1', state: 'SUCCESS', amountFen: 980, payjsOrderId: p.id, transactionId: settled.transactionId, openid: settled.openid, paidAt: NOW });
    } finally {
      await endpoint.close();
    }
  });

  it('redelivers until the answer is 200 "success"', async () => {
    const answers = [
      { status: 500, body: 'oops' },
      { status: 200, body: 'ok' }, // 200 but not "success": not received
      { status: 200, body: 'success' },
    ];
    let i = 0;
    const endpoint = await serveNotifyEndpoint(async () => answers[i++]);
    try {
      const p = emulator.jump(extraData({}, `${endpoint.url}/notify`));
      await emulator.settle(p.id, 'pay');
      await waitFor(() => p.deliveries.length === 3);
      expect(p.deliveries.map((d) => [d.attempt, d.statusCode, d.accepted])).toEqual([
        [1, 500, false],
        [2, 200, false],
        [3, 200, true],
      ]);
      // Every attempt carries a notification that verifies.
      for (const n of endpoint.received) await expect(readPayjsNotification(config(), toHttpRequest(n))).resolves.toMatchObject({ amountFen: 980 });
    } finally {
      await endpoint.close();
    }
  });

  it('drives a merchant that answers with payjsAck / payjsReject', async () => {
    let reject = true;
    const endpoint = await serveNotifyEndpoint(async () => {
      const reply = reject ? payjsReject(500, 'storage down') : payjsAck();
      reject = false;
      return { status: reply.statusCode, body: reply.body };
    });
    try {
      const p = emulator.jump(extraData({}, `${endpoint.url}/notify`));
      await emulator.settle(p.id, 'pay');
      await waitFor(() => p.deliveries.some((d) => d.accepted));
      expect(p.deliveries.map((d) => d.accepted)).toEqual([false, true]);
    } finally {
      await endpoint.close();
    }
  });

  it('an order without attach is notified with attach empty, which the sign leaves out and our reader accepts', async () => {
    const endpoint = await serveNotifyEndpoint(async () => ({ status: 200, body: 'success' }));
    try {
      const { sign: _s, attach: _a, ...noAttach } = extraData({}, `${endpoint.url}/notify`);
      const p = emulator.jump({ ...noAttach, sign: payjsReferenceSign(noAttach, KEY) });
      await emulator.settle(p.id, 'pay');
      const n = endpoint.received[0];
      const form = Object.fromEntries(new URLSearchParams(n.rawBody.toString()));
      expect(form.attach).toBe('');
      const { attach: _empty, ...withoutAttach } = form;
      expect(form.sign).toBe(payjsReferenceSign(withoutAttach, KEY));
      const report = await readPayjsNotification(config(), toHttpRequest(n));
      expect(report).toMatchObject({ outTradeNo: 'ORD1', amountFen: 980, attach: undefined });
    } finally {
      await endpoint.close();
    }
  });

  it('cancel leaves WAITING, fail → FAILED, unknown id → 404, paid twice → 409', async () => {
    const p = emulator.jump(extraData({}, ''));
    expect(await emulator.settle(p.id, 'cancel')).toMatchObject({ status: 'WAITING', lastOutcome: 'cancel' });
    expect(await emulator.settle(p.id, 'fail')).toMatchObject({ status: 'FAILED', lastOutcome: 'fail' });
    await expect(emulator.settle('nope', 'pay')).rejects.toMatchObject({ statusCode: 404 });
    expect(emulator.jump(extraData({}, '')).status).toBe('WAITING'); // the payer tries again
    await emulator.settle(p.id, 'pay');
    await expect(emulator.settle(p.id, 'pay')).rejects.toMatchObject({ statusCode: 409 });
    expect(p.deliveries).toEqual([]); // no notify_url, nothing sent
  });

  it('uses the documented PAYJS redelivery schedule (0, 15, 30, 180, 1800, 3600 s)', () => {
    const attemptsAt = PAYJS_NOTIFY_SCHEDULE_MS.reduce((at, d) => [...at, at[at.length - 1] + d / 1000], [0]);
    expect(attemptsAt).toEqual([0, 15, 30, 180, 1800, 3600]);
    expect(isPayjsNotifyAccepted(200, 'success')).toBe(true);
    expect(isPayjsNotifyAccepted(200, 'SUCCESS!')).toBe(false);
    expect(isPayjsNotifyAccepted(204, 'success')).toBe(false);
  });
});

describe('PAYJS emulator: API', () => {
  const req = (path: string, body: Record<string, string>, method = 'POST'): EmuRequest => ({
    method,
    path,
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    rawBody: Buffer.from(new URLSearchParams(body).toString()),
  });
  const signedCheck = (id: string) => ({ payjs_order_id: id, sign: payjsReferenceSign({ payjs_order_id: id }, KEY) });

  it('answers only POST /api/check and /api/close, and records what it answers', async () => {
    expect(await emulator.handle(req('/api/native', {}))).toBeUndefined();
    expect(await emulator.handle(req('/api/constructor', {}))).toBeUndefined();
    expect(await emulator.handle(req('/v3/pay/transactions/jsapi', {}))).toBeUndefined();
    expect(emulator.received).toHaveLength(0);
    expect((await emulator.handle(req('/api/check', {}, 'GET')))!.statusCode).toBe(405);
    expect((await emulator.handle(req('/api/close', {}, 'GET')))!.statusCode).toBe(405);
    expect(emulator.received.map((r) => r.path)).toEqual(['/api/check', '/api/close']);
  });

  it('signs every answer, failures included', async () => {
    const p = emulator.jump(extraData({}, ''));
    for (const path of ['/api/check', '/api/close']) {
      for (const body of [signedCheck(p.id), signedCheck('000'), { payjs_order_id: p.id, sign: 'BAD' }]) {
        const reply = (await emulator.handle(req(path, body)))!;
        expect(reply.statusCode).toBe(200);
        const json = JSON.parse(reply.body);
        expect(json.sign).toBe(payjsReferenceSign(json, KEY));
      }
    }
    const bad = JSON.parse((await emulator.handle(req('/api/check', { payjs_order_id: p.id, sign: 'BAD' })))!.body);
    expect(bad).toMatchObject({ return_code: 0, msg: 'sign error' });
    expect(bad.total_fee).toBeUndefined();
  });

  it('answers a paid order with status 1, paid_time and total_fee', async () => {
    const p = emulator.jump(extraData({}, ''));
    await emulator.settle(p.id, 'pay');
    const json = JSON.parse((await emulator.handle(req('/api/check', signedCheck(p.id))))!.body);
    expect(json).toMatchObject({ return_code: 1, status: 1, total_fee: 980, out_trade_no: 'ORD1', payjs_order_id: p.id, paid_time: '2024-05-01 12:00:05', mchid: MCHID });
  });

  it('answers an unpaid order with status 0, which its sign leaves out', async () => {
    const p = emulator.jump(extraData({}, ''));
    const json = JSON.parse((await emulator.handle(req('/api/check', signedCheck(p.id))))!.body);
    expect(json).toMatchObject({ return_code: 1, status: 0, total_fee: 980 });
    const { status: _zero, ...rest } = json;
    expect(json.sign).toBe(payjsReferenceSign(rest, KEY));
  });

  it('close: a waiting order becomes CLOSED (and stays so), a paid one is refused, an unknown one too', async () => {
    const waiting = emulator.jump(extraData({}, ''));
    const closed = JSON.parse((await emulator.handle(req('/api/close', signedCheck(waiting.id))))!.body);
    expect(closed).toMatchObject({ return_code: 1, payjs_order_id: waiting.id });
    expect(waiting.status).toBe('CLOSED');
    expect(refusal(() => emulator.jump(extraData({}, ''))).statusCode).toBe(409); // no reopening by a new jump
    expect(JSON.parse((await emulator.handle(req('/api/close', signedCheck(waiting.id))))!.body)).toMatchObject({ return_code: 1 });
    expect(waiting.status).toBe('CLOSED');

    const paid = emulator.jump(extraData({ out_trade_no: 'ORD2' }, ''));
    await emulator.settle(paid.id, 'pay');
    const refused = JSON.parse((await emulator.handle(req('/api/close', signedCheck(paid.id))))!.body);
    expect(refused).toMatchObject({ return_code: 0, payjs_order_id: paid.id, return_msg: expect.stringContaining('已支付') });
    expect(paid.status).toBe('PAID');
    expect(JSON.parse((await emulator.handle(req('/api/close', signedCheck('000'))))!.body)).toMatchObject({ return_code: 0 });
    const badSign = JSON.parse((await emulator.handle(req('/api/close', { payjs_order_id: paid.id, sign: 'BAD' })))!.body);
    expect(badSign).toMatchObject({ return_code: 0, return_msg: 'sign error' });
  });

  it('refund: a paid order is refunded whole at once (signed return_code 1, SUCCESS, no notification); once only', async () => {
    const notified = await serveNotifyEndpoint(async () => ({ status: 200, body: 'success' }));
    try {
      const paid = emulator.jump(extraData({}, notified.url));
      await emulator.settle(paid.id, 'pay');
      const reply = (await emulator.handle(req('/api/refund', signedCheck(paid.id))))!;
      const json = JSON.parse(reply.body);
      expect(json).toMatchObject({ return_code: 1, payjs_order_id: paid.id, out_trade_no: 'ORD1', transaction_id: paid.transactionId });
      expect(json.sign).toBe(payjsReferenceSign(json, KEY));
      expect(emulator.listRefunds()).toEqual([
        expect.objectContaining({ provider: 'payjs', outRefundNo: paid.id, paymentId: paid.id, amountFen: 980, totalFen: 980, status: 'SUCCESS', deliveries: [] }),
      ]);
      const again = JSON.parse((await emulator.handle(req('/api/refund', signedCheck(paid.id))))!.body);
      expect(again).toMatchObject({ return_code: 0, return_msg: '订单已退款' });
      expect(again.sign).toBe(payjsReferenceSign(again, KEY));
      expect(emulator.listRefunds()).toHaveLength(1);
      // Only the payment's notification reached the shop.
      expect(notified.received).toHaveLength(1);
      await expect(emulator.settleRefund(paid.id, 'close')).rejects.toMatchObject({ statusCode: 409 });
      await expect(emulator.settleRefund('000', 'close')).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await notified.close();
    }
  });

  it('refund: refuses an unpaid order, an unknown one and a bad sign, and refunds nothing', async () => {
    const waiting = emulator.jump(extraData({}, ''));
    const answers = [
      JSON.parse((await emulator.handle(req('/api/refund', signedCheck(waiting.id))))!.body),
      JSON.parse((await emulator.handle(req('/api/refund', signedCheck('000'))))!.body),
    ];
    await emulator.settle(waiting.id, 'pay');
    answers.push(JSON.parse((await emulator.handle(req('/api/refund', { payjs_order_id: waiting.id, sign: 'BAD' })))!.body));
    expect(answers.map((a) => a.return_code)).toEqual([0, 0, 0]);
    expect(answers[2].return_msg).toBe('sign error');
    for (const a of answers) expect(a.sign).toBe(payjsReferenceSign(a, KEY));
    expect(emulator.listRefunds()).toEqual([]);
    expect((await emulator.handle(req('/api/refund', {}, 'GET')))!.statusCode).toBe(405);
  });

  it('applies faults before answering', async () => {
    emulator.faults.add({ pathIncludes: '/api/check', kind: 'reply', times: 1, reply: { statusCode: 503, headers: {}, body: '' } });
    expect((await emulator.handle(req('/api/check', signedCheck('1'))))!.statusCode).toBe(503);
    expect((await emulator.handle(req('/api/check', signedCheck('1'))))!.statusCode).toBe(200);
  });
});
