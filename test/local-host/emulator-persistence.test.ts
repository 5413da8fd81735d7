import Sqlite from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PayjsConfig } from '../../cloudfunctions/common/config';
import { PayjsClient } from '../../cloudfunctions/common/payjs/client';
import { buildPayjsJump } from '../../cloudfunctions/common/payjs/jump';
import { payjsAck, readPayjsNotification } from '../../cloudfunctions/common/payjs/notification';
import type { HttpReply, HttpRequestLike, PrepayRequest, TradeReport } from '../../cloudfunctions/common/payment/gateway';
import type { ProviderNotification } from '../../cloudfunctions/common/payment/refund';
import { WxPayV2Gateway } from '../../cloudfunctions/common/wxpay/v2/gateway';
import { WxPayV3Gateway } from '../../cloudfunctions/common/wxpay/v3/gateway';
import { Notifier } from '../../scripts/local-host/emulators/notifier';
import { createPayjsEmulator, isPayjsNotifyAccepted, type PayjsEmulator, type PayjsOrder } from '../../scripts/local-host/emulators/payjs';
import { emulatorStateFile, StateFileError, type StateStore } from '../../scripts/local-host/emulators/state-file';
import { EmulatorRefusal, type EmulatedPayment } from '../../scripts/local-host/emulators/types';
import { createWxPayV2Emulator, wxpayV2NotifyAccepted, type WxPayV2Order } from '../../scripts/local-host/emulators/wxpay-v2';
import { createWxPayV3Emulator, type WxPayV3Emulator, type WxPayV3Trade } from '../../scripts/local-host/emulators/wxpay-v3';
import { serveEmulator, serveNotify, until, type Served } from '../helpers/loopback';
import { ROOT } from '../helpers/sandbox';
import { startSandbox } from '../../scripts/local-host/sandbox';
import { makeV3Keys } from '../helpers/wxpay-keys';
import { merchant as v2Merchant, v2Config } from '../wxpay-v2/helpers';

/**
 * The emulators keep their payments in SANDBOX_DIR/emulators/<provider>.sqlite: an emulator created again
 * on the same file (a restart of the local host) still knows every prepay_id, code_url and PAYJS order,
 * and plays them exactly as before. The merchant side here is the project's own gateway code.
 */

let dir: string;
const notifiers: Notifier[] = [];
const served: Served[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-state-'));
});
afterEach(async () => {
  for (const n of notifiers.splice(0)) n.stop();
  for (const s of served.splice(0)) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const newNotifier = (isAccepted: (status: number, body: string) => boolean, scheduleMs: number[] = []) => {
  const n = new Notifier({ scheduleMs, isAccepted, timeoutMs: 2000 });
  notifiers.push(n);
  return n;
};

/** A merchant notify endpoint that reads each notification with our own verifier, then answers `reply`. */
async function notifyEndpoint(read: (req: HttpRequestLike) => Promise<TradeReport>, ack: () => HttpReply, reply: () => HttpReply | undefined = () => undefined) {
  const reports: TradeReport[] = [];
  const endpoint = await serveNotify(async (req) => {
    const forced = reply();
    if (forced) return forced;
    reports.push(await read(req));
    return ack();
  });
  served.push(endpoint);
  return { url: `${endpoint.url}/notify`, reports, received: endpoint.received };
}

/** Serves whichever emulator is current, so a "restarted" one answers on the same URL. */
async function serveCurrent<E extends { handle: WxPayV3Emulator['handle'] }>(current: () => E, prefix = '') {
  const api = await serveEmulator((req) => current().handle(req), prefix);
  served.push(api);
  return api.url + prefix;
}

/** The state file of earlier versions (one JSON array), imported at start. */
const stateOf = (name: string) => path.join(dir, 'emulators', `${name}.json`);
const stateDbOf = (name: string) => path.join(dir, 'emulators', `${name}.sqlite`);
const savedIds = (name: string) => {
  const db = new Sqlite(stateDbOf(name), { readonly: true });
  try {
    return db
      .prepare<[], { data: string }>('SELECT data FROM records ORDER BY rid')
      .all()
      .map((r) => (JSON.parse(r.data) as { payment: EmulatedPayment }).payment.id);
  } finally {
    db.close();
  }
};
/** Every byte the state database holds, its write-ahead log included. */
const stateBytes = (name: string) =>
  fs
    .readdirSync(path.join(dir, 'emulators'))
    .filter((f) => f.startsWith(`${name}.sqlite`))
    .map((f) => fs.readFileSync(path.join(dir, 'emulators', f)).toString('latin1'))
    .join('');

async function refusal(p: Promise<unknown>): Promise<EmulatorRefusal> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(EmulatorRefusal);
  return e as EmulatorRefusal;
}

describe('WeChat Pay v3 emulator across a restart', () => {
  const keys = makeV3Keys();
  const create = () =>
    createWxPayV3Emulator({
      merchant: { mchid: keys.merchant.mchid, appid: keys.merchant.appid, certSerial: keys.merchant.certSerial, publicKey: keys.merchant.publicKey, apiV3Key: keys.merchant.apiV3Key },
      platform: { publicKeyId: keys.platform.publicKeyId, privateKey: keys.platform.privateKey },
      notifier: newNotifier((s) => s === 200 || s === 204, [20, 20]),
      pathPrefix: '/wxpay',
      store: emulatorStateFile(path.join(dir, 'emulators'), 'wxpay-v3'),
    });
  let emulator: WxPayV3Emulator;
  let gateway: WxPayV3Gateway;
  let notify: Awaited<ReturnType<typeof notifyEndpoint>>;
  let failNotifications = 0;
  let seq = 0;
  const order = (over: Partial<PrepayRequest> = {}): PrepayRequest => ({
    outTradeNo: `R${Date.now()}${++seq}`,
    description: '重启前下的单',
    amountFen: 1234,
    expiresAt: Date.now() + 30 * 60_000,
    notifyUrl: notify.url,
    tradeType: 'JSAPI',
    openid: 'o-restart-payer',
    attach: 'order:1',
    ...over,
  });

  beforeEach(async () => {
    failNotifications = 0;
    emulator = create();
    notify = await notifyEndpoint(
      (req) => gateway.readNotification(req),
      () => gateway.ackNotification(),
      () => (failNotifications-- > 0 ? { statusCode: 500, headers: {}, body: 'busy' } : undefined),
    );
    gateway = new WxPayV3Gateway(keys.config(await serveCurrent(() => emulator, '/wxpay'), notify.url), { retry: { attempts: 1, firstDelayMs: 1 }, timeoutMs: 2000 });
  });

  it('still knows a JSAPI prepay_id and a Native code_url: re-placed, paid and queried as before', async () => {
    const jsapi = order();
    const native = order({ tradeType: 'NATIVE', openid: undefined });
    const prepay = await gateway.prepay(jsapi);
    const code = await gateway.prepay(native);
    const before = emulator.list();

    emulator = create(); // the restart
    expect(emulator.list()).toEqual(before);
    expect(await gateway.prepay(jsapi)).toEqual(prepay);
    expect(await gateway.prepay(native)).toEqual(code);
    expect(await gateway.query(jsapi.outTradeNo)).toMatchObject({ state: 'NOTPAY' });

    if (prepay.tradeType !== 'JSAPI' || code.tradeType !== 'NATIVE') throw new Error('unexpected trade types');
    const paid = await emulator.requestPayment(gateway.requestPaymentParams(prepay.prepayId, 'RSA'), 'pay');
    const scanned = await emulator.scan(code.codeUrl, 'pay');
    expect([paid.status, scanned.status]).toEqual(['PAID', 'PAID']);
    // Each notification verified and decrypted by our gateway, with the attach given before the restart.
    expect(notify.reports).toEqual([
      expect.objectContaining({ outTradeNo: jsapi.outTradeNo, state: 'SUCCESS', amountFen: 1234, transactionId: paid.transactionId, openid: 'o-restart-payer' }),
      expect.objectContaining({ outTradeNo: native.outTradeNo, state: 'SUCCESS', transactionId: scanned.transactionId }),
    ]);

    emulator = create(); // and again: the payments stay paid
    expect(await gateway.query(jsapi.outTradeNo)).toMatchObject({ state: 'SUCCESS', transactionId: paid.transactionId, paidAt: paid.paidAt });
    expect((await refusal(emulator.requestPayment(gateway.requestPaymentParams(prepay.prepayId, 'RSA'), 'pay'))).statusCode).toBe(409);
    await expect(gateway.prepay(jsapi)).rejects.toMatchObject({ providerCode: 'ORDERPAID' });
    expect(emulator.list().find((p) => p.id === scanned.id)).toMatchObject({ status: 'PAID', deliveries: [expect.objectContaining({ accepted: true })] });
  });

  it('keeps a close, a failed payment and a cancel', async () => {
    const [closed, failed, cancelled] = [order(), order(), order()];
    for (const o of [closed, failed, cancelled]) await gateway.prepay(o);
    await gateway.close(closed.outTradeNo);
    const ids = emulator.list().map((p) => p.id);
    await emulator.settle(ids[1], 'fail');
    await emulator.settle(ids[2], 'cancel');

    emulator = create();
    expect((await gateway.query(closed.outTradeNo)).state).toBe('CLOSED');
    expect((await gateway.query(failed.outTradeNo)).state).toBe('PAYERROR');
    expect(emulator.list().find((p) => p.id === ids[2])).toMatchObject({ status: 'WAITING', lastOutcome: 'cancel' });
    await expect(gateway.prepay(closed)).rejects.toMatchObject({ providerCode: 'ORDER_CLOSED' });
  });

  it('saves every notification attempt, redeliveries from the timers included', async () => {
    failNotifications = 1;
    const o = order();
    const r = await gateway.prepay(o);
    if (r.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    const paid = await emulator.requestPayment(gateway.requestPaymentParams(r.prepayId, 'RSA'), 'pay');
    await until(() => paid.deliveries.some((d) => d.accepted));

    const restarted = create().list()[0];
    expect(restarted.deliveries.map((d) => [d.attempt, d.statusCode, d.accepted])).toEqual([
      [1, 500, false],
      [2, 204, true],
    ]);
    expect(restarted.deliveries[0].nextAttemptAt).toEqual(expect.any(Number));
  });

  it('writes no key and leaves no temporary file behind', async () => {
    await gateway.prepay(order());
    await gateway.prepay(order({ tradeType: 'NATIVE', openid: undefined }));
    expect(fs.readdirSync(path.join(dir, 'emulators')).filter((f) => !f.startsWith('wxpay-v3.sqlite'))).toEqual([]);
    const text = stateBytes('wxpay-v3');
    expect(text).toContain(emulator.list()[0].id);
    expect(text).not.toContain(keys.merchant.apiV3Key.toString('utf8'));
    expect(text).not.toContain('PRIVATE KEY');
    expect(savedIds('wxpay-v3')).toEqual(emulator.list().map((p) => p.id));
  });
});

describe('WeChat Pay v2 emulator across a restart', () => {
  const m = v2Merchant();
  const create = () =>
    createWxPayV2Emulator({ merchant: m, notifier: newNotifier(wxpayV2NotifyAccepted), store: emulatorStateFile(path.join(dir, 'emulators'), 'wxpay-v2') });

  it('keeps the order sign type, so HMAC-SHA256 prepay_ids and code_urls stay payable', async () => {
    let emulator = create();
    const api = await serveCurrent(() => emulator);
    let gateway!: WxPayV2Gateway;
    const notify = await notifyEndpoint(
      (req) => gateway.readNotification(req, { signTypeOf: async () => 'HMAC-SHA256' }),
      () => gateway.ackNotification(),
    );
    gateway = new WxPayV2Gateway(v2Config(m, api, notify.url, 'HMAC-SHA256'), { retry: { attempts: 1, firstDelayMs: 1 }, timeoutMs: 2000 });
    const base = { description: '重启', amountFen: 990, expiresAt: Date.now() + 600_000, notifyUrl: notify.url, attach: 'order:v2' };
    const jsapi: PrepayRequest = { ...base, outTradeNo: `V2J${Date.now()}`, tradeType: 'JSAPI', openid: 'o-v2' };
    const native: PrepayRequest = { ...base, outTradeNo: `V2N${Date.now()}`, tradeType: 'NATIVE' };
    const prepay = await gateway.prepay(jsapi);
    const code = await gateway.prepay(native);
    if (prepay.tradeType !== 'JSAPI' || code.tradeType !== 'NATIVE') throw new Error('unexpected trade types');

    emulator = create();
    expect(await gateway.prepay(jsapi)).toEqual(prepay);
    expect(await gateway.prepay(native)).toEqual(code);
    expect((await gateway.query(native.outTradeNo)).state).toBe('NOTPAY');
    // An MD5 paySign is refused for an HMAC-SHA256 order: the restored order kept its sign type.
    expect((await refusal(emulator.requestPayment(gateway.requestPaymentParams(prepay.prepayId, 'MD5'), 'pay'))).message).toMatch(/signType/);
    const paid = await emulator.requestPayment(gateway.requestPaymentParams(prepay.prepayId, 'HMAC-SHA256'), 'pay');
    const scanned = await emulator.scan(code.codeUrl, 'pay');
    expect(notify.reports.map((r) => [r.outTradeNo, r.state, r.transactionId])).toEqual([
      [jsapi.outTradeNo, 'SUCCESS', paid.transactionId],
      [native.outTradeNo, 'SUCCESS', scanned.transactionId],
    ]);

    emulator = create();
    expect(await gateway.query(jsapi.outTradeNo)).toMatchObject({ state: 'SUCCESS', transactionId: paid.transactionId, amountFen: 990 });
    await expect(gateway.prepay(native)).rejects.toMatchObject({ providerCode: 'ORDERPAID' });
  });
});

describe('PAYJS emulator across a restart', () => {
  const MCHID = '1230000109';
  const KEY = 'payjs-test-key-0123';
  const create = () =>
    createPayjsEmulator({ mchid: MCHID, key: KEY, notifier: newNotifier(isPayjsNotifyAccepted), store: emulatorStateFile(path.join(dir, 'emulators'), 'payjs') });

  it('still knows the PAYJS order: the same jump gets the same id, pay notifies, check answers paid', async () => {
    let emulator: PayjsEmulator = create();
    const api = await serveCurrent(() => emulator);
    let config!: PayjsConfig;
    const notify = await notifyEndpoint((req) => readPayjsNotification(config, req), payjsAck);
    config = { mchid: MCHID, key: KEY, apiBase: api, notifyUrl: notify.url };
    const client = new PayjsClient(config);
    const jump = () => buildPayjsJump(config, { outTradeNo: `PJ${Date.now()}`.slice(0, 32), amountFen: 680, description: '咖啡', attach: 'order:pj' });
    const extraData = { ...jump().extraData };
    const placed = emulator.jump(extraData);

    emulator = create();
    expect(emulator.jump(extraData).id).toBe(placed.id);
    expect(await client.check(placed.id)).toMatchObject({ state: 'NOTPAY', attach: 'order:pj' });
    const paid = await emulator.settle(placed.id, 'pay');
    expect(notify.reports).toEqual([expect.objectContaining({ payjsOrderId: placed.id, state: 'SUCCESS', amountFen: 680, attach: 'order:pj', transactionId: paid.transactionId })]);

    emulator = create();
    expect(await client.check(placed.id)).toMatchObject({ state: 'SUCCESS', transactionId: paid.transactionId, amountFen: 680 });
    expect(() => emulator.jump(extraData)).toThrow(EmulatorRefusal);
    expect(stateBytes('payjs')).toContain(placed.id);
    expect(stateBytes('payjs')).not.toContain(KEY);
  });
});

describe('a state file that cannot be trusted stops the start', () => {
  const create = () => createPayjsEmulator({ mchid: 'm1', key: 'k1', notifier: newNotifier(isPayjsNotifyAccepted), store: emulatorStateFile(path.join(dir, 'emulators'), 'payjs') });
  const saved = (over: Record<string, unknown> = {}) => ({
    payment: { id: 'P1', provider: 'payjs', tradeType: 'PAYJS', outTradeNo: 'O1', mchid: 'm1', amountFen: 100, description: '', status: 'WAITING', createdAt: 1, notifyUrl: '', deliveries: [], ...over },
  });
  const write = (content: string) => {
    fs.mkdirSync(path.join(dir, 'emulators'), { recursive: true });
    fs.writeFileSync(stateOf('payjs'), content);
  };

  it('loads a well-formed file (the fixture below is valid)', () => {
    write(JSON.stringify([saved()]));
    expect(create().list()).toEqual([expect.objectContaining({ id: 'P1', amountFen: 100, status: 'WAITING' })]);
  });

  it.each([
    ['torn JSON', '[{"payment": {"id": "P1"', /not valid JSON/],
    ['not a list', '{}', /not a JSON array/],
    ['an amount in yuan', JSON.stringify([saved({ amountFen: 9.8 })]), /record 0: payment\.amountFen is not a whole number/],
    ['an unknown status', JSON.stringify([saved({ status: 'SUCCESS' })]), /record 0: payment\.status must be one of/],
    ['another provider', JSON.stringify([saved({ provider: 'wxpay-v3' })]), /payment\.provider is not payjs/],
    ['a PAID payment without its transaction', JSON.stringify([saved({ status: 'PAID' })]), /no transactionId/],
    ['a payment id saved twice', JSON.stringify([saved(), saved({ outTradeNo: 'O2' })]), /record 1: payment id P1 appears twice/],
    ['an out_trade_no saved twice', JSON.stringify([saved(), saved({ id: 'P2' })]), /record 1: out_trade_no O1 appears twice/],
  ])('refuses %s, naming the file, and leaves it as it was', (_what, content, reason) => {
    write(content);
    let error: unknown;
    try {
      create();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateFileError);
    expect((error as Error).message).toContain(stateOf('payjs'));
    expect((error as Error).message).toMatch(reason);
    expect(fs.readFileSync(stateOf('payjs'), 'utf8')).toBe(content);
  });

  it('startSandbox rejects with that error before listening', async () => {
    fs.mkdirSync(path.join(dir, 'emulators'), { recursive: true });
    fs.writeFileSync(stateOf('wxpay-v3'), 'not json');
    const outcome = await startSandbox({ port: 0, sandboxDir: dir, rootDir: ROOT, sweepEveryMs: 0, loadFunction: () => async () => undefined }).then(
      async (s) => {
        await s.close();
        return 'started';
      },
      (e: Error) => e.message,
    );
    expect(outcome).toContain(`Cannot load the emulator state file ${stateOf('wxpay-v3')}`);
  });
});

describe('a notification the merchant refused, across a restart', () => {
  // Long enough that the restart below comes well before the next attempt is due.
  const SCHEDULE_MS = [300, 300];
  const REFUSED = { statusCode: 500, headers: {}, body: 'busy' };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const v3Keys = makeV3Keys();
  const v3Accepts = (s: number) => s === 200 || s === 204;

  /** What the host does to an emulator at a restart: its notifier stopped, its store closed, a new one created on the same file. */
  function restartable<E>(name: string, create: (notifier: Notifier, store: ReturnType<typeof emulatorStateFile>) => E, isAccepted: (s: number, b: string) => boolean) {
    const run = () => {
      const notifier = newNotifier(isAccepted, SCHEDULE_MS);
      const store = emulatorStateFile(path.join(dir, 'emulators'), name);
      return { emulator: create(notifier, store), notifier, store };
    };
    let current = run();
    return {
      get emulator() {
        return current.emulator;
      },
      restart() {
        current.notifier.stop();
        current.store.close?.();
        current = run();
      },
    };
  }

  const v3Host = () =>
    restartable(
      'wxpay-v3',
      (notifier, store) =>
        createWxPayV3Emulator({
          merchant: { mchid: v3Keys.merchant.mchid, appid: v3Keys.merchant.appid, certSerial: v3Keys.merchant.certSerial, publicKey: v3Keys.merchant.publicKey, apiV3Key: v3Keys.merchant.apiV3Key },
          platform: { publicKeyId: v3Keys.platform.publicKeyId, privateKey: v3Keys.platform.privateKey },
          notifier,
          pathPrefix: '/wxpay',
          store: store as StateStore<WxPayV3Trade>,
        }),
      v3Accepts,
    );

  /** A v3 emulator behind a gateway, and a notify endpoint that refuses the next `refusals` notifications, then reads them with our gateway. */
  async function v3Setup() {
    const host = v3Host();
    const state = { refusals: 0 };
    let gateway!: WxPayV3Gateway;
    const read: ProviderNotification[] = [];
    const endpoint = await serveNotify(async (req) => {
      if (state.refusals-- > 0) return REFUSED;
      read.push(await gateway.readAnyNotification(req));
      return gateway.ackNotification();
    });
    served.push(endpoint);
    const notify = { url: `${endpoint.url}/notify`, received: endpoint.received, read };
    gateway = new WxPayV3Gateway(v3Keys.config(await serveCurrent(() => host.emulator, '/wxpay'), notify.url), { retry: { attempts: 1, firstDelayMs: 1 }, timeoutMs: 2000 });
    let seq = 0;
    const pay = async (refusals: number) => {
      state.refusals = refusals;
      const placed = await gateway.prepay({ outTradeNo: `RN${Date.now()}${++seq}`, description: '通知被拒', amountFen: 321, expiresAt: Date.now() + 600_000, notifyUrl: notify.url, tradeType: 'JSAPI', openid: 'o-refused' });
      if (placed.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
      return host.emulator.requestPayment(gateway.requestPaymentParams(placed.prepayId, 'RSA'), 'pay');
    };
    const find = (id: string) => host.emulator.list().find((p) => p.id === id)!;
    return { host, notify, gateway, pay, find, state };
  }

  const attempts = (p: { deliveries: { attempt: number; statusCode?: number; accepted: boolean }[] }) => p.deliveries.map((d) => [d.attempt, d.statusCode, d.accepted]);

  it('WeChat Pay v3: the next attempt comes after the restart, when it was due, and our gateway verifies and reads it', async () => {
    const { host, notify, pay, find } = await v3Setup();
    const paid = await pay(1);
    expect(paid.deliveries).toEqual([expect.objectContaining({ attempt: 1, statusCode: 500, accepted: false, nextAttemptAt: expect.any(Number) })]);
    const due = paid.deliveries[0].nextAttemptAt!;

    host.restart();
    expect(notify.received).toHaveLength(1);
    await until(() => find(paid.id).deliveries.length === 2);
    expect(attempts(find(paid.id))).toEqual([
      [1, 500, false],
      [2, 204, true],
    ]);
    // At its time, not at the restart (a timer may fire a millisecond early by Date.now()).
    expect(find(paid.id).deliveries[1].at).toBeGreaterThanOrEqual(due - 5);
    expect(notify.read).toEqual([{ kind: 'payment', report: expect.objectContaining({ outTradeNo: paid.outTradeNo, state: 'SUCCESS', amountFen: 321, transactionId: paid.transactionId, openid: 'o-refused' }) }]);

    // The stopped emulator's own timer sent nothing; the accepted attempt was saved, and nothing is resumed again.
    await sleep(100);
    expect(notify.received).toHaveLength(2);
    expect(paid.deliveries).toHaveLength(1);
    host.restart();
    expect(attempts(find(paid.id))).toEqual([
      [1, 500, false],
      [2, 204, true],
    ]);
    await sleep(100);
    expect(notify.received).toHaveLength(2);
  });

  it('WeChat Pay v3: a delivery that was accepted or whose schedule ran out is not resumed', async () => {
    const { host, notify, pay, find } = await v3Setup();
    const accepted = await pay(1);
    await until(() => accepted.deliveries.some((d) => d.accepted));
    const exhausted = await pay(3);
    await until(() => exhausted.deliveries.length === 3);
    expect(exhausted.deliveries.map((d) => d.nextAttemptAt === undefined)).toEqual([false, false, true]);
    // The witness: pending at the restart, it is resumed when due, after anything wrongly resumed at once.
    const pending = await pay(1);

    host.restart();
    await until(() => find(pending.id).deliveries.length === 2);
    await sleep(100);
    expect(attempts(find(accepted.id))).toEqual([
      [1, 500, false],
      [2, 204, true],
    ]);
    expect(attempts(find(exhausted.id))).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 500, false],
    ]);
    expect(attempts(find(pending.id))).toEqual([
      [1, 500, false],
      [2, 204, true],
    ]);
    expect(notify.received).toHaveLength(2 + 3 + 2);
    expect(notify.read.map((n) => n.kind === 'payment' && n.report.outTradeNo)).toEqual([accepted.outTradeNo, pending.outTradeNo]);
  });

  it('WeChat Pay v3: a refund notification refused before the restart is delivered after it, and our gateway reads it', async () => {
    const { host, notify, gateway, pay, find, state } = await v3Setup();
    const paid = await pay(0);
    const outRefundNo = `RF${Date.now()}`;
    await gateway.refund({ outTradeNo: paid.outTradeNo, outRefundNo, totalFen: 321, amountFen: 120, reason: '重启', notifyUrl: notify.url });
    state.refusals = 1;
    const refund = await host.emulator.settleRefund(outRefundNo, 'succeed');
    expect(refund.deliveries).toEqual([expect.objectContaining({ attempt: 1, statusCode: 500, accepted: false, event: 'REFUND.SUCCESS', nextAttemptAt: expect.any(Number) })]);

    host.restart();
    const restored = () => host.emulator.listRefunds().find((r) => r.outRefundNo === outRefundNo)!;
    await until(() => restored().deliveries.length === 2);
    expect(restored().deliveries.map((d) => [d.attempt, d.event, d.statusCode, d.accepted])).toEqual([
      [1, 'REFUND.SUCCESS', 500, false],
      [2, 'REFUND.SUCCESS', 204, true],
    ]);
    expect(notify.read.slice(1)).toEqual([{ kind: 'refund', report: expect.objectContaining({ outRefundNo, outTradeNo: paid.outTradeNo, status: 'SUCCESS', amountFen: 120, totalFen: 321 }) }]);
    expect(find(paid.id).deliveries).toHaveLength(1);
  });

  it('WeChat Pay v2: the next attempt comes after the restart and our gateway verifies its sign', async () => {
    const m = v2Merchant();
    const host = restartable('wxpay-v2', (notifier, store) => createWxPayV2Emulator({ merchant: m, notifier, store: store as StateStore<WxPayV2Order> }), wxpayV2NotifyAccepted);
    const api = await serveCurrent(() => host.emulator);
    let gateway!: WxPayV2Gateway;
    let refusals = 1;
    const notify = await notifyEndpoint(
      (req) => gateway.readNotification(req, { signTypeOf: async () => 'HMAC-SHA256' }),
      () => gateway.ackNotification(),
      () => (refusals-- > 0 ? REFUSED : undefined),
    );
    gateway = new WxPayV2Gateway(v2Config(m, api, notify.url, 'HMAC-SHA256'), { retry: { attempts: 1, firstDelayMs: 1 }, timeoutMs: 2000 });
    const placed = await gateway.prepay({ outTradeNo: `V2R${Date.now()}`, description: '通知被拒', amountFen: 450, expiresAt: Date.now() + 600_000, notifyUrl: notify.url, tradeType: 'JSAPI', openid: 'o-v2', attach: 'order:v2r' });
    if (placed.tradeType !== 'JSAPI') throw new Error('expected JSAPI');
    const paid = await host.emulator.requestPayment(gateway.requestPaymentParams(placed.prepayId, 'HMAC-SHA256'), 'pay');
    expect(paid.deliveries).toEqual([expect.objectContaining({ attempt: 1, statusCode: 500, accepted: false, nextAttemptAt: expect.any(Number) })]);

    host.restart();
    const restored = () => host.emulator.list().find((p) => p.id === paid.id)!;
    await until(() => restored().deliveries.length === 2);
    expect(attempts(restored())).toEqual([
      [1, 500, false],
      [2, 200, true],
    ]);
    expect(notify.reports).toEqual([expect.objectContaining({ outTradeNo: paid.outTradeNo, state: 'SUCCESS', amountFen: 450, transactionId: paid.transactionId })]);
    // Built and signed anew: a fresh nonce_str, so another sign than the refused attempt's.
    const signOf = (i: number) => /<sign><!\[CDATA\[(\w+)\]\]><\/sign>|<sign>(\w+)<\/sign>/.exec(notify.received[i].rawBody.toString('utf8'))?.slice(1).find(Boolean);
    expect(signOf(1)).toEqual(expect.any(String));
    expect(signOf(1)).not.toBe(signOf(0));
    await sleep(100);
    expect(notify.received).toHaveLength(2);
  });

  it('PAYJS: the next attempt comes after the restart, signed as our reader checks', async () => {
    const host = restartable('payjs', (notifier, store) => createPayjsEmulator({ mchid: 'm-pj', key: 'payjs-resume-key', notifier, store: store as StateStore<PayjsOrder> }), isPayjsNotifyAccepted);
    const config: PayjsConfig = { mchid: 'm-pj', key: 'payjs-resume-key', apiBase: 'http://127.0.0.1:1', notifyUrl: '' };
    let refusals = 1;
    const notify = await notifyEndpoint((req) => readPayjsNotification(config, req), payjsAck, () => (refusals-- > 0 ? REFUSED : undefined));
    config.notifyUrl = notify.url;
    const placed = host.emulator.jump({ ...buildPayjsJump(config, { outTradeNo: `PJR${Date.now()}`, amountFen: 99, description: '重启', attach: 'order:pjr' }).extraData });
    const paid = await host.emulator.settle(placed.id, 'pay');
    expect(paid.deliveries).toEqual([expect.objectContaining({ attempt: 1, statusCode: 500, accepted: false })]);

    host.restart();
    await until(() => notify.reports.length === 1);
    expect(notify.reports).toEqual([expect.objectContaining({ payjsOrderId: placed.id, state: 'SUCCESS', amountFen: 99, attach: 'order:pjr', transactionId: paid.transactionId })]);
    await until(() => host.emulator.findPayment(placed.id)!.deliveries.length === 2);
    expect(attempts(host.emulator.findPayment(placed.id)!)).toEqual([
      [1, 500, false],
      [2, 200, true],
    ]);
  });
});
