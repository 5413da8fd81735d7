/**
 * @jest-environment jsdom
 *
 * The mini-program's PAYJS local mode against the real local host: the checkout store and the PAYJS
 * service run as in DevTools (wx.request is a real HTTP request), the sandbox's PAYJS emulator checks
 * the jump's sign and sends the real notification. Only the "模拟支付" sheet is scripted.
 */
import { until } from '../miniprogram/setup';
import { setTransport } from '../../miniprogram/services/api';
import { httpTransport } from '../../miniprogram/services/http-transport';
import { config } from '../../miniprogram/config';
import { CheckoutStore } from '../../miniprogram/pay/stores/checkout';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';
import { installHttpRequest } from '../miniprogram-flow/harness';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn> }).wx;

const choose = (tapIndex: number) => {
  wxStub.showActionSheet = ((o: { success(r: unknown): void }) => o.success({ tapIndex })) as unknown as AnyFn;
};

let s: TestSandbox;
let serial = 0;

beforeAll(async () => {
  s = await startTestSandbox();
  config.mode = 'local';
  config.localBaseUrl = s.url;
  installHttpRequest();
  wxStub.navigateToMiniProgram = (() => {
    throw new Error('local mode must not call navigateToMiniProgram');
  }) as unknown as AnyFn;
});
afterAll(async () => {
  config.mode = 'cloud';
  await s.close();
});

async function storeReadyToJump() {
  const openid = `local-openid-payjs-${++serial}`;
  setTransport(httpTransport(s.url, openid));
  const store = new CheckoutStore();
  store.pollPolicy = { firstDelayMs: 10, factor: 2, maxDelayMs: 50, deadlineMs: 3000 };
  await store.submit([{ skuId: 'sku-drip-bags', quantity: 2 }], 'payjs');
  expect(store.payjsReady).toBe(true);
  return store;
}

test('支付成功 in the emulator: the notify lands and polling finds the order PAID', async () => {
  const store = await storeReadyToJump();
  choose(0);
  await store.jumpToPayjs();
  expect(store.errorMessage).toBe('');
  expect(store.payjsHint).toMatchObject({ success: true, payjsOrderId: expect.any(String) });
  await until(() => store.phase === 'paid');
  const doc = await s.order(store.order!.orderId);
  expect(doc).toMatchObject({ status: 'PAID', paidVia: 'notify', amountFen: 2 * 3990 });
  const payment = s.emulators.payjs.list().find((p) => p.id === store.payjsHint!.payjsOrderId)!;
  expect(payment).toMatchObject({ status: 'PAID', outTradeNo: doc.outTradeNo });
  expect(payment.deliveries[0]).toMatchObject({ statusCode: 200, accepted: true });
});

test('取消支付 in the emulator: the server is asked (one PAYJS check) and the order stays PENDING', async () => {
  const store = await storeReadyToJump();
  choose(1);
  await store.jumpToPayjs();
  await until(() => !store.polling);
  expect(store.phase).toBe('confirming');
  expect(store.notice).toContain('尚未完成支付');
  const doc = await s.order(store.order!.orderId);
  expect(doc).toMatchObject({ status: 'PENDING', payjsOrderId: store.payjsHint!.payjsOrderId, queryCount: 1 });
});
