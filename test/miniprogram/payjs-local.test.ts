/** @jest-environment jsdom */
import { until } from './setup';
import type { PayjsJump, QueryOrderEvent } from '../../typings/checkout';
import { setTransport } from '../../miniprogram/services/api';
import { jumpToPayjs } from '../../miniprogram/pay/services/payjs';
import { config } from '../../miniprogram/config';
import { CheckoutStore } from '../../miniprogram/pay/stores/checkout';
import { FakeTransport, ok } from './fake-transport';
import { FAST_POLL, order } from './fixtures';

/**
 * Local mode of the PAYJS path: navigateToMiniProgram cannot reach the sandbox, so the mini-program opens
 * the sandbox's PAYJS emulator over wx.request, offers "模拟支付", and comes back with the hint the PAYJS
 * mini-program would hand back. Whether the order is paid is still only what queryOrder says.
 */

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn> }).wx;

const payjs: PayjsJump = {
  appId: 'wx959c8c1fb2d877b5',
  path: 'pages/pay',
  extraData: { mchid: '1500000001', total_fee: 2980, out_trade_no: 'T20240501000001', body: '绿茶 等2件', notify_url: 'http://127.0.0.1:8787/http/payNotify', nonce: 'n1', sign: 'ABCDEF0123456789ABCDEF0123456789' },
};

interface Sent {
  url: string;
  method?: string;
  data?: unknown;
}

/** A fake wx.request: answers by path, records every request. */
function fakeRequest(answer: (path: string) => { statusCode: number; data: unknown } | 'network-error') {
  const sent: Sent[] = [];
  wxStub.request = ((o: Sent & { success(r: unknown): void; fail(e: unknown): void }) => {
    sent.push({ url: o.url, method: o.method, data: o.data });
    const a = answer(o.url.slice(config.localBaseUrl.length));
    setTimeout(() => (a === 'network-error' ? o.fail({ errMsg: 'request:fail connect ECONNREFUSED' }) : o.success(a)), 0);
  }) as unknown as AnyFn;
  return sent;
}

const emulator = (path: string) => (path === '/sandbox/api/payjs/jump' ? { statusCode: 200, data: { payment: { id: 'PJ1', status: 'WAITING' } } } : { statusCode: 200, data: { payment: { id: 'PJ1' } } });

/** The "模拟支付" sheet: picks `tapIndex`, or dismisses it when undefined. */
function sheet(tapIndex?: number) {
  const shown: string[][] = [];
  wxStub.showActionSheet = ((o: { itemList: string[]; success(r: unknown): void; fail(e: unknown): void }) => {
    shown.push(o.itemList);
    if (tapIndex === undefined) o.fail({ errMsg: 'showActionSheet:fail cancel' });
    else o.success({ tapIndex });
  }) as unknown as AnyFn;
  return shown;
}

let navigate: jest.Mock;

beforeEach(() => {
  config.mode = 'local';
  navigate = jest.fn();
  wxStub.navigateToMiniProgram = navigate as unknown as AnyFn;
});
afterEach(() => {
  config.mode = 'cloud';
});

describe('services/payjs in local mode', () => {
  test.each([
    [0, 'pay', { success: true, resultCode: 'SUCCESS', msg: '支付成功' }],
    [1, 'cancel', { success: false, resultCode: 'CANCEL', msg: '用户取消支付' }],
    [2, 'fail', { success: false, resultCode: 'FAIL', msg: '支付失败' }],
    [undefined, 'cancel', { success: false, resultCode: 'CANCEL', msg: '用户取消支付' }],
  ] as const)('sheet choice %p: opens the emulator with extraData, posts %s, returns the hint', async (tapIndex, outcome, hint) => {
    const sent = fakeRequest(emulator);
    const shown = sheet(tapIndex);
    await expect(jumpToPayjs(payjs)).resolves.toEqual({ ...hint, payjsOrderId: 'PJ1' });
    expect(shown).toEqual([['支付成功', '取消支付', '支付失败']]);
    expect(sent).toEqual([
      { url: `${config.localBaseUrl}/sandbox/api/payjs/jump`, method: 'POST', data: { extraData: payjs.extraData } },
      { url: `${config.localBaseUrl}/sandbox/api/payments/PJ1/${outcome}`, method: 'POST', data: {} },
    ]);
    expect(navigate).not.toHaveBeenCalled();
  });

  test('the emulator refusing the jump (bad sign) rejects, before any choice is offered', async () => {
    const sent = fakeRequest(() => ({ statusCode: 400, data: { error: 'sign does not verify' } }));
    const shown = sheet(0);
    await expect(jumpToPayjs(payjs)).rejects.toThrow('HTTP 400');
    expect(shown).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  test('a lost outcome request still comes back, unpaid, with the PAYJS order id for the server to check', async () => {
    fakeRequest((path) => (path === '/sandbox/api/payjs/jump' ? emulator(path) : 'network-error'));
    sheet(0);
    const hint = await jumpToPayjs(payjs);
    expect(hint).toMatchObject({ success: false, resultCode: 'FAIL', payjsOrderId: 'PJ1' });
    expect(typeof hint === 'object' && hint?.msg).toContain('模拟支付请求失败');
  });

  test('cloud mode still uses navigateToMiniProgram, with no request to any sandbox', async () => {
    config.mode = 'cloud';
    const sent = fakeRequest(emulator);
    navigate.mockImplementation((o: { success(): void }) => o.success());
    await expect(jumpToPayjs(payjs)).resolves.toBeNull();
    expect(navigate.mock.calls[0][0]).toMatchObject({ appId: payjs.appId, path: payjs.path, extraData: payjs.extraData });
    expect(sent).toEqual([]);
  });
});

describe('checkout store, PAYJS in local mode', () => {
  async function storeReadyToJump(t: FakeTransport) {
    t.on('createOrder', () => ok({ order: order() })).on('pay', () => ok({ method: 'payjs', order: order('PENDING', { payMethod: 'payjs' }), payjs }));
    setTransport(t);
    const s = new CheckoutStore();
    s.pollPolicy = FAST_POLL;
    await s.submit([{ skuId: 'tea', quantity: 1 }], 'payjs');
    expect(s.payjsReady).toBe(true);
    return s;
  }

  test('paid in the emulator: the store polls with the hint, and only the server makes it paid', async () => {
    let queries = 0;
    const t = new FakeTransport().on('queryOrder', () => ok({ order: ++queries >= 3 ? order('PAID') : order('PENDING') }));
    const s = await storeReadyToJump(t);
    fakeRequest(emulator);
    sheet(0);
    await s.jumpToPayjs();
    expect(s.payjsJumped).toBe(true);
    expect(s.payjsHint).toEqual({ success: true, resultCode: 'SUCCESS', msg: '支付成功', payjsOrderId: 'PJ1' });
    expect(s.phase).toBe('confirming'); // the hint says success; the order is not paid until queryOrder says so
    await until(() => s.phase === 'paid');
    const calls = t.callsOf('queryOrder') as QueryOrderEvent[];
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.payjsOrderId === 'PJ1')).toBe(true);
    expect(navigate).not.toHaveBeenCalled();
  });

  test('the hint says success but the server says unpaid: the store stays unpaid', async () => {
    const t = new FakeTransport().on('queryOrder', () => ok({ order: order('PENDING') }));
    const s = await storeReadyToJump(t);
    s.pollPolicy = { ...FAST_POLL, deadlineMs: 100 };
    fakeRequest(emulator);
    sheet(0);
    await s.jumpToPayjs();
    await until(() => !s.polling);
    expect(s.phase).toBe('confirming');
    expect(s.order?.status).toBe('PENDING');
    expect(t.callsOf('queryOrder').length).toBeGreaterThan(1);
  });

  test('cancelled in the emulator: asks the server once and says so, with the re-query path open', async () => {
    let paid = false;
    const t = new FakeTransport().on('queryOrder', () => ok({ order: paid ? order('PAID') : order('PENDING') }));
    const s = await storeReadyToJump(t);
    fakeRequest(emulator);
    sheet(1);
    await s.jumpToPayjs();
    await until(() => !s.polling);
    expect(t.callsOf('queryOrder')).toHaveLength(1);
    expect(s.phase).toBe('confirming');
    expect(s.notice).toContain('尚未完成支付（用户取消支付）');
    paid = true;
    await s.confirm(); // "我已支付，重新查询"
    expect(s.phase).toBe('paid');
  });

  test('the emulator refusing the jump shows an error and leaves the jump to retry', async () => {
    const t = new FakeTransport();
    const s = await storeReadyToJump(t);
    fakeRequest(() => ({ statusCode: 400, data: { error: 'sign does not verify' } }));
    sheet(0);
    await s.jumpToPayjs();
    expect(s.errorMessage).toContain('无法打开 PAYJS');
    expect(s.payjsJumped).toBe(false);
    expect(s.payjsReady).toBe(true);
    expect(t.callsOf('queryOrder')).toHaveLength(0);
  });
});
