import { Aes, Rsa, Formatter } from 'wechatpay-axios-plugin';
import { decryptResource } from '../../cloudfunctions/common/wxpay/v3/aead';
import { authorizationHeader, type RequestSigner } from '../../cloudfunctions/common/wxpay/v3/signing';
import { verifyWechatpaySignature } from '../../cloudfunctions/common/wxpay/v3/verify';
import { toRfc3339Beijing } from '../../cloudfunctions/common/time';
import type { StateStore } from '../../scripts/local-host/emulators/state-file';
import type { EmuReply } from '../../scripts/local-host/emulators/types';
import { createWxPayV3Emulator, type WxPayV3Trade } from '../../scripts/local-host/emulators/wxpay-v3';
import { serveNotify, until, type Served } from '../helpers/loopback';
import type { HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import { makeV3Keys } from '../helpers/wxpay-keys';
import { testNotifier } from './loopback';

/** The v3 emulator's refunds: apply and query (signed both ways), the platform's rules, and the refund notifications. */

const keys = makeV3Keys();
const platformKeys = keys.config('https://api.mch.weixin.qq.com').platformKeys;
const signer: RequestSigner = { mchid: keys.merchant.mchid, serialNo: keys.merchant.certSerial, privateKey: keys.merchant.privateKey };
let notifier = testNotifier();
let clock = Date.now();
let seq = 0;

/** The merchant's notify endpoint: answers `status` (204 unless told), records every notification. */
let notify: Served & { received: HttpRequestLike[] };
let status = 204;
beforeAll(async () => {
  notify = await serveNotify(async () => ({ statusCode: status, headers: {}, body: status === 204 ? '' : '{"code":"FAIL"}' }));
});
afterAll(() => notify.close());

function memoryStore(): StateStore<WxPayV3Trade> & { saved?: unknown[] } {
  const store: StateStore<WxPayV3Trade> & { saved?: unknown[] } = {
    load: (read) => store.saved && JSON.parse(JSON.stringify(store.saved)).map(read),
    save: (records) => {
      store.saved = JSON.parse(JSON.stringify(records));
    },
  };
  return store;
}

const newEmulator = (over: { store?: StateStore<WxPayV3Trade>; refundSucceedAfterMs?: number } = {}) =>
  createWxPayV3Emulator({
    merchant: { mchid: keys.merchant.mchid, appid: keys.merchant.appid, certSerial: keys.merchant.certSerial, publicKey: keys.merchant.publicKey, apiV3Key: keys.merchant.apiV3Key },
    platform: { publicKeyId: keys.platform.publicKeyId, privateKey: keys.platform.privateKey },
    notifier,
    now: () => clock,
    ...over,
  });
let emulator = newEmulator();

beforeEach(() => {
  clock = Date.now();
  status = 204;
  notifier.stop();
  notifier = testNotifier();
  emulator = newEmulator();
  notify.received.length = 0;
});
afterAll(() => notifier.stop());

async function call(method: string, pathWithQuery: string, body = '', auth?: { signer?: RequestSigner; authorization?: string }): Promise<EmuReply> {
  const [path, qs = ''] = pathWithQuery.split('?');
  const authorization = auth?.authorization ?? authorizationHeader(auth?.signer ?? signer, { method, pathWithQuery, body, nowMs: clock });
  const reply = await emulator.handle({ method, path, query: new URLSearchParams(qs), headers: { authorization }, rawBody: Buffer.from(body) });
  if (!reply) throw new Error('emulator did not answer');
  return reply;
}
const json = (r: EmuReply) => JSON.parse(r.body) as Record<string, any>;

/** A paid JSAPI trade of `total` fen. */
async function paidTrade(total = 1000): Promise<{ outTradeNo: string; transactionId: string }> {
  const outTradeNo = `REFUNDTEST${++seq}${Date.now()}`;
  const body = {
    appid: keys.merchant.appid,
    mchid: keys.merchant.mchid,
    description: '咖啡豆',
    out_trade_no: outTradeNo,
    time_expire: toRfc3339Beijing(clock + 30 * 60_000),
    notify_url: `${notify.url}/pay`,
    amount: { total, currency: 'CNY' },
    payer: { openid: 'o-payer' },
  };
  const placed = json(await call('POST', '/v3/pay/transactions/jsapi', JSON.stringify(body)));
  const paid = await emulator.settle(placed.prepay_id, 'pay');
  return { outTradeNo, transactionId: paid.transactionId! };
}

const refundBody = (outTradeNo: string, over: Record<string, unknown> = {}, amount: Record<string, unknown> = {}) =>
  JSON.stringify({
    out_trade_no: outTradeNo,
    out_refund_no: `R${outTradeNo}`,
    reason: '商品已售完',
    notify_url: `${notify.url}/refund`,
    amount: { refund: 300, total: 1000, currency: 'CNY', ...amount },
    ...over,
  });
const applyRefund = (body: string) => call('POST', '/v3/refund/domestic/refunds', body);
const queryRefund = (outRefundNo: string) => call('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`);
const tradeState = async (outTradeNo: string) => json(await call('GET', `/v3/pay/transactions/out-trade-no/${outTradeNo}?mchid=${keys.merchant.mchid}`)).trade_state;
const refundNotes = () => notify.received.filter((r) => r.path === '/refund');

describe('POST /v3/refund/domestic/refunds', () => {
  it('accepts a refund of a paid trade as PROCESSING, in a signed answer, and the query says the same', async () => {
    const { outTradeNo, transactionId } = await paidTrade();
    const r = await applyRefund(refundBody(outTradeNo));
    expect(r.statusCode).toBe(200);
    expect(verifyWechatpaySignature(r.headers, Buffer.from(r.body), platformKeys, clock)).toBe(keys.platform.publicKeyId);
    const refund = json(r);
    expect(refund).toMatchObject({ out_refund_no: `R${outTradeNo}`, out_trade_no: outTradeNo, transaction_id: transactionId, status: 'PROCESSING', amount: { refund: 300, total: 1000, currency: 'CNY' } });
    expect(refund.refund_id).toMatch(/^\d{29}$/);
    expect(refund).not.toHaveProperty('success_time');

    const q = await queryRefund(`R${outTradeNo}`);
    expect(verifyWechatpaySignature(q.headers, Buffer.from(q.body), platformKeys, clock)).toBe(keys.platform.publicKeyId);
    expect(json(q)).toEqual(refund);
    expect(await tradeState(outTradeNo)).toBe('SUCCESS');
    expect(refundNotes()).toHaveLength(0);
  });

  it('accepts a refund named by transaction_id, and one with the @ the refund number allows', async () => {
    const { outTradeNo, transactionId } = await paidTrade();
    const r = await applyRefund(refundBody(outTradeNo, { out_trade_no: undefined, transaction_id: transactionId, out_refund_no: 'R@1|*-_x' }));
    expect([r.statusCode, json(r).out_trade_no]).toEqual([200, outTradeNo]);
  });

  it('the same out_refund_no again is the same refund; with another amount it is refused', async () => {
    const { outTradeNo } = await paidTrade();
    const first = json(await applyRefund(refundBody(outTradeNo)));
    const again = await applyRefund(refundBody(outTradeNo, { reason: '再试一次' }));
    expect([again.statusCode, json(again).refund_id]).toEqual([200, first.refund_id]);
    const other = await applyRefund(refundBody(outTradeNo, {}, { refund: 301 }));
    expect([other.statusCode, json(other).code]).toEqual([400, 'INVALID_REQUEST']);
    expect(json(other).message).toMatch(/和上次请求不一致/);
    expect(emulator.listRefunds()).toHaveLength(1);
  });

  it('several partial refunds up to the total; one more fen is refused; a CLOSED refund frees its amount', async () => {
    const { outTradeNo } = await paidTrade();
    for (const [n, refund] of [[1, 500], [2, 400]] as const) expect((await applyRefund(refundBody(outTradeNo, { out_refund_no: `P${n}${outTradeNo}` }, { refund }))).statusCode).toBe(200);
    const over = await applyRefund(refundBody(outTradeNo, { out_refund_no: `P3${outTradeNo}` }, { refund: 101 }));
    expect([over.statusCode, json(over).code, json(over).message]).toEqual([400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额']);
    expect((await applyRefund(refundBody(outTradeNo, { out_refund_no: `P4${outTradeNo}` }, { refund: 100 }))).statusCode).toBe(200);
    await emulator.settleRefund(`P2${outTradeNo}`, 'close');
    expect((await applyRefund(refundBody(outTradeNo, { out_refund_no: `P5${outTradeNo}` }, { refund: 400 }))).statusCode).toBe(200);
  });

  it('a trade is refunded at most 50 times', async () => {
    const { outTradeNo } = await paidTrade(1000);
    for (let n = 1; n <= 50; n++) expect((await applyRefund(refundBody(outTradeNo, { out_refund_no: `N${n}x${outTradeNo}` }, { refund: 1 }))).statusCode).toBe(200);
    const r = await applyRefund(refundBody(outTradeNo, { out_refund_no: `N51x${outTradeNo}` }, { refund: 1 }));
    expect([r.statusCode, json(r).code]).toEqual([400, 'INVALID_REQUEST']);
  });

  it.each([
    ['an out_refund_no with a space', { out_refund_no: 'R 1' }, {}],
    ['a 65-character out_refund_no', { out_refund_no: 'R'.repeat(65) }, {}],
    ['no out_refund_no', { out_refund_no: undefined }, {}],
    ['neither out_trade_no nor transaction_id', { out_trade_no: undefined }, {}],
    ['an 81-byte reason', { reason: '退'.repeat(27) }, {}],
    ['a notify_url with a query', { notify_url: 'https://example.com/n?x=1' }, {}],
    ['a null value', { reason: null }, {}],
    ['a zero refund', {}, { refund: 0 }],
    ['a fractional refund', {}, { refund: 2.5 }],
    ['a refund as a string', {}, { refund: '300' }],
    ['a refund above the total', {}, { refund: 1001 }],
    ['no currency', {}, { currency: undefined }],
    ['another currency', {}, { currency: 'USD' }],
  ])('400 PARAM_ERROR for %s, and no refund', async (_what, over, amount) => {
    const { outTradeNo } = await paidTrade();
    const r = await applyRefund(refundBody(outTradeNo, over, amount));
    expect([r.statusCode, json(r).code]).toEqual([400, 'PARAM_ERROR']);
    expect(emulator.listRefunds()).toHaveLength(0);
  });

  it('accepts an 80-byte reason', async () => {
    const { outTradeNo } = await paidTrade();
    expect((await applyRefund(refundBody(outTradeNo, { reason: `${'退'.repeat(26)}xx` }))).statusCode).toBe(200);
  });

  it('refuses a total that is not the trade\'s, an unpaid trade, and an unknown one', async () => {
    const { outTradeNo } = await paidTrade();
    const wrongTotal = await applyRefund(refundBody(outTradeNo, {}, { total: 999, refund: 300 }));
    expect([wrongTotal.statusCode, json(wrongTotal).code]).toEqual([400, 'INVALID_REQUEST']);

    const unpaidNo = `UNPAID${++seq}${Date.now()}`;
    const placed = await call('POST', '/v3/pay/transactions/native', JSON.stringify({ appid: keys.merchant.appid, mchid: keys.merchant.mchid, description: 'x', out_trade_no: unpaidNo, notify_url: `${notify.url}/pay`, amount: { total: 1000 } }));
    expect(placed.statusCode).toBe(200);
    const unpaid = await applyRefund(refundBody(unpaidNo));
    expect([unpaid.statusCode, json(unpaid).code]).toEqual([400, 'INVALID_REQUEST']);

    const unknown = await applyRefund(refundBody('NOSUCHTRADE1'));
    expect([unknown.statusCode, json(unknown).code]).toEqual([404, 'RESOURCE_NOT_EXISTS']);
    const byOtherTx = await applyRefund(refundBody(outTradeNo, { out_trade_no: undefined, transaction_id: '4200000000000000000000000000' }));
    expect(byOtherTx.statusCode).toBe(404);
    expect(emulator.listRefunds()).toHaveLength(0);
  });

  it('accepts a refund request signed by wechatpay-axios-plugin (an independent signer), and refuses it altered', async () => {
    const { outTradeNo } = await paidTrade();
    const body = refundBody(outTradeNo);
    const timestamp = String(Math.floor(clock / 1000));
    const nonce = 'B'.repeat(32);
    const signature = Rsa.sign(Formatter.request('POST', '/v3/refund/domestic/refunds', timestamp, nonce, body), keys.merchant.privateKey);
    const authorization = Formatter.authorization(keys.merchant.mchid, nonce, signature, timestamp, keys.merchant.certSerial);
    expect((await call('POST', '/v3/refund/domestic/refunds', body.replace('"refund":300', '"refund":301'), { authorization })).statusCode).toBe(401);
    expect((await call('POST', '/v3/refund/domestic/refunds', body, { authorization })).statusCode).toBe(200);
  });

  it('refuses an unsigned or wrongly signed request (401 SIGN_ERROR)', async () => {
    const { outTradeNo } = await paidTrade();
    const body = refundBody(outTradeNo);
    const forged = authorizationHeader({ ...signer, privateKey: keys.platform.privateKey }, { method: 'POST', pathWithQuery: '/v3/refund/domestic/refunds', body, nowMs: clock });
    for (const authorization of ['', forged]) {
      const r = await call('POST', '/v3/refund/domestic/refunds', body, { authorization });
      expect([r.statusCode, json(r).code]).toEqual([401, 'SIGN_ERROR']);
    }
    const q = await call('GET', '/v3/refund/domestic/refunds/R1', '', { authorization: '' });
    expect(q.statusCode).toBe(401);
    expect(emulator.listRefunds()).toHaveLength(0);
  });

  it('the query answers 404 RESOURCE_NOT_EXISTS for an unknown refund and 400 for a malformed number', async () => {
    expect([(await queryRefund('NOPE')).statusCode, json(await queryRefund('NOPE')).code]).toEqual([404, 'RESOURCE_NOT_EXISTS']);
    expect((await queryRefund('bad number')).statusCode).toBe(400);
  });
});

describe('settling refunds and their notifications', () => {
  /** The refund notifications received so far, verified and decrypted with our own code. */
  function readNotes(): Array<{ event: string; plain: Record<string, any>; resource: Record<string, string> }> {
    return refundNotes().map((n) => {
      expect(verifyWechatpaySignature(n.headers, n.rawBody, platformKeys, Date.now())).toBe(keys.platform.publicKeyId);
      const body = JSON.parse(n.rawBody.toString('utf8'));
      expect(body.resource).toMatchObject({ original_type: 'refund', algorithm: 'AEAD_AES_256_GCM', associated_data: 'refund' });
      return { event: body.event_type, plain: JSON.parse(decryptResource(body.resource, keys.merchant.apiV3Key)), resource: body.resource };
    });
  }

  it('succeed sends a signed REFUND.SUCCESS; the plugin decrypts and verifies it the same way', async () => {
    const { outTradeNo, transactionId } = await paidTrade();
    const applied = json(await applyRefund(refundBody(outTradeNo)));
    clock += 5000;
    const settled = await emulator.settleRefund(`R${outTradeNo}`, 'succeed');
    expect(settled).toMatchObject({ status: 'SUCCESS', settledAt: Math.floor(clock / 1000) * 1000 });
    const [note] = readNotes();
    expect(note.event).toBe('REFUND.SUCCESS');
    expect(note.plain).toEqual({
      mchid: keys.merchant.mchid,
      out_trade_no: outTradeNo,
      transaction_id: transactionId,
      out_refund_no: `R${outTradeNo}`,
      refund_id: applied.refund_id,
      refund_status: 'SUCCESS',
      success_time: toRfc3339Beijing(clock),
      user_received_account: '支付用户零钱',
      amount: { total: 1000, refund: 300, payer_total: 1000, payer_refund: 300 },
    });
    // Independent implementation: wechatpay-axios-plugin's AES-GCM and RSA verify.
    const raw = refundNotes()[0];
    expect(JSON.parse(Aes.AesGcm.decrypt(note.resource.ciphertext, keys.merchant.apiV3Key, note.resource.nonce, note.resource.associated_data))).toEqual(note.plain);
    const message = Formatter.joinedByLineFeed(raw.headers['wechatpay-timestamp'], raw.headers['wechatpay-nonce'], raw.rawBody.toString('utf8'));
    expect(Rsa.verify(message, raw.headers['wechatpay-signature'], keys.platform.publicKey)).toBe(true);

    expect(json(await queryRefund(`R${outTradeNo}`))).toMatchObject({ status: 'SUCCESS', success_time: toRfc3339Beijing(clock) });
    expect(await tradeState(outTradeNo)).toBe('SUCCESS');
  });

  it('ABNORMAL, then SUCCESS: two notifications; a final refund cannot be settled again', async () => {
    const { outTradeNo } = await paidTrade();
    await applyRefund(refundBody(outTradeNo, {}, { refund: 1000 }));
    await emulator.settleRefund(`R${outTradeNo}`, 'abnormal');
    expect(json(await queryRefund(`R${outTradeNo}`)).status).toBe('ABNORMAL');
    await expect(emulator.settleRefund(`R${outTradeNo}`, 'abnormal')).rejects.toMatchObject({ statusCode: 409 });
    await emulator.settleRefund(`R${outTradeNo}`, 'succeed');
    expect(readNotes().map((n) => [n.event, n.plain.refund_status])).toEqual([
      ['REFUND.ABNORMAL', 'ABNORMAL'],
      ['REFUND.SUCCESS', 'SUCCESS'],
    ]);
    expect(readNotes()[0].plain).not.toHaveProperty('success_time');
    const refund = emulator.listRefunds()[0];
    expect(refund.deliveries.map((d) => [d.event, d.accepted])).toEqual([
      ['REFUND.ABNORMAL', true],
      ['REFUND.SUCCESS', true],
    ]);
    // The whole total went back: the trade reads REFUND.
    expect(await tradeState(outTradeNo)).toBe('REFUND');
    for (const outcome of ['succeed', 'close', 'abnormal'] as const) await expect(emulator.settleRefund(`R${outTradeNo}`, outcome)).rejects.toMatchObject({ statusCode: 409 });
    await expect(emulator.settleRefund('NOPE', 'succeed')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('close sends REFUND.CLOSED; a partial refund leaves the trade SUCCESS', async () => {
    const { outTradeNo } = await paidTrade();
    await applyRefund(refundBody(outTradeNo));
    await emulator.settleRefund(`R${outTradeNo}`, 'close');
    expect(readNotes().map((n) => [n.event, n.plain.refund_status])).toEqual([['REFUND.CLOSED', 'CLOSED']]);
    expect(await tradeState(outTradeNo)).toBe('SUCCESS');
  });

  it('redelivers a refused notification on the schedule, each attempt signed afresh', async () => {
    const { outTradeNo } = await paidTrade();
    await applyRefund(refundBody(outTradeNo));
    status = 500;
    await emulator.settleRefund(`R${outTradeNo}`, 'succeed');
    await until(() => refundNotes().length === 2);
    status = 204;
    await until(() => emulator.listRefunds()[0].deliveries.some((d) => d.accepted));
    const deliveries = emulator.listRefunds()[0].deliveries;
    expect(deliveries.map((d) => [d.attempt, d.statusCode, d.accepted])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 204, true],
    ]);
    expect(deliveries[0].nextAttemptAt).toBeDefined();
    expect(new Set(refundNotes().map((n) => n.headers['wechatpay-nonce'])).size).toBe(3);
  });

  it('without notify_url nothing is sent', async () => {
    const { outTradeNo } = await paidTrade();
    await applyRefund(refundBody(outTradeNo, { notify_url: undefined }));
    await emulator.settleRefund(`R${outTradeNo}`, 'succeed');
    expect(refundNotes()).toHaveLength(0);
    expect(emulator.listRefunds()[0].deliveries).toEqual([]);
  });

  it('with refundSucceedAfterMs, a refund left PROCESSING succeeds by itself; a settled one is left alone', async () => {
    emulator = newEmulator({ refundSucceedAfterMs: 50 });
    const a = await paidTrade();
    const b = await paidTrade();
    await applyRefund(refundBody(a.outTradeNo));
    await applyRefund(refundBody(b.outTradeNo));
    await emulator.settleRefund(`R${b.outTradeNo}`, 'close');
    await until(() => emulator.listRefunds().find((r) => r.outRefundNo === `R${a.outTradeNo}`)!.status === 'SUCCESS');
    await new Promise((r) => setTimeout(r, 100));
    expect(readNotes().map((n) => [n.plain.out_refund_no, n.event])).toEqual([
      [`R${b.outTradeNo}`, 'REFUND.CLOSED'],
      [`R${a.outTradeNo}`, 'REFUND.SUCCESS'],
    ]);
  });

  it('refunds are kept with their trade across a restart, and their rules still hold', async () => {
    const store = memoryStore();
    emulator = newEmulator({ store });
    const { outTradeNo } = await paidTrade();
    await applyRefund(refundBody(outTradeNo, {}, { refund: 600 }));
    await emulator.settleRefund(`R${outTradeNo}`, 'abnormal');
    emulator = newEmulator({ store });
    expect(emulator.listRefunds()).toEqual([expect.objectContaining({ outRefundNo: `R${outTradeNo}`, status: 'ABNORMAL', amountFen: 600 })]);
    expect(emulator.listRefunds()[0].deliveries[0]).toMatchObject({ event: 'REFUND.ABNORMAL', accepted: true });
    const over = await applyRefund(refundBody(outTradeNo, { out_refund_no: `S${outTradeNo}` }, { refund: 401 }));
    expect(json(over).code).toBe('INVALID_REQUEST');
    await emulator.settleRefund(`R${outTradeNo}`, 'succeed');
    expect(json(await queryRefund(`R${outTradeNo}`)).status).toBe('SUCCESS');
  });
});
