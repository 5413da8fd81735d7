/**
 * @jest-environment jsdom
 *
 * Local mode end to end: config.mode = 'local', so the app wires its own HTTP transport to the local
 * host, and payments go through its "模拟支付" sheet. wx.request here is a real HTTP request, so the
 * mini-program's own code talks to the running host exactly as in DevTools with 不校验合法域名.
 */
import {
  FLOW_POLL,
  chooseInSheet,
  fillCart,
  installHttpRequest,
  installNavigation,
  installRecordingCanvas,
  loadPage,
  pageTracker,
  orderIdOf,
  reachPhase,
  settle,
  until,
} from './harness';
import { getAppOptions } from '../miniprogram/setup';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';
import { checkout } from '../../miniprogram/pay/stores/checkout';
import { config } from '../../miniprogram/config';

const SHEET = ['支付成功', '取消支付', '支付失败'];

let s: TestSandbox;
let requests: { urls: string[] };
let nav: { urls: string[] };
let serial = 0;
const ids = { cart: '', result: '', scan: '' };
const pages = pageTracker();

beforeAll(async () => {
  s = await startTestSandbox({ WXPAY_API_VERSION: 'v3' });
  config.mode = 'local';
  config.localBaseUrl = s.url;
  requests = installHttpRequest();
  require('../../miniprogram/app');
  // Loaded after the mode is set: the scan page reads it at definition.
  ids.cart = loadPage('pages/cart/index');
  ids.result = loadPage('pay/result/index');
  ids.scan = loadPage('pay/scan/index');
  checkout.pollPolicy = FLOW_POLL;
});
afterAll(async () => {
  await s.close();
});
beforeEach(() => {
  // A fresh identity per test; onLaunch wires the HTTP transport with it, as the app does.
  config.localOpenId = `local-openid-${++serial}`;
  (getAppOptions().onLaunch as () => void)();
  checkout.reset();
  requests.urls.length = 0;
  nav = installNavigation();
});
afterEach(() => {
  pages.closeAll();
  checkout.reset();
});

const open = pages.open;

async function submitCart(units: Record<string, number>, method?: 'native') {
  await fillCart(s, config.localOpenId, units);
  const cartPage = open(ids.cart);
  await settle();
  if (method) {
    cartPage.comp.querySelector('#methods')!.dispatchEvent('change', { detail: { value: method } });
    await settle();
  }
  cartPage.tap('#submit');
  await until(() => nav.urls.length > 0, 5000);
  return nav.urls[0];
}

test('模拟支付 → 支付成功: the real notification makes the result page show paid', async () => {
  const sheet = chooseInSheet('支付成功');
  const orderId = orderIdOf(await submitCart({ 'sku-drip-bags': 2 }));
  const result = open(ids.result, { orderId });
  await reachPhase('paid');
  expect(result.comp.data.phase).toBe('paid');
  expect(result.text('#paid')).toBe('支付成功');
  expect(result.text('#amount')).toBe('¥79.80');
  expect(sheet.shown).toEqual([SHEET]);
  expect(await s.order(orderId)).toMatchObject({ status: 'PAID', paidVia: 'notify', _openid: config.localOpenId });
  // Everything went over wx.request to the configured host.
  expect(requests.urls).toContain(`${s.url}/api/checkout`);
  expect(requests.urls).toContain(`${s.url}/sandbox/api/wxpay/request-payment`);
  expect(requests.urls.every((u) => u.startsWith(`${s.url}/`))).toBe(true);
});

test('模拟支付 → 取消支付: cancelled and still payable; choosing 支付成功 next time pays it', async () => {
  chooseInSheet('取消支付');
  const orderId = orderIdOf(await submitCart({ 'sku-mug': 1 }));
  const result = open(ids.result, { orderId });
  await reachPhase('cancelled');
  expect(result.comp.data.phase).toBe('cancelled');
  expect(result.text('#cancelled')).toBe('已取消支付');
  expect((await s.order(orderId)).status).toBe('PENDING');

  chooseInSheet('支付成功');
  result.tap('#pay-again');
  await reachPhase('paid');
  expect(result.text('#paid')).toBe('支付成功');
  expect((await s.order(orderId)).status).toBe('PAID');
});

test('模拟支付 → 支付失败: failed, nothing paid', async () => {
  chooseInSheet('支付失败');
  const orderId = orderIdOf(await submitCart({ 'sku-filter-papers': 1 }));
  const result = open(ids.result, { orderId });
  await reachPhase('failed');
  expect(result.text('#error-message')).toBe('支付未完成，请重试');
  expect((await s.order(orderId)).status).toBe('PENDING');
});

test('scan-to-pay with 模拟扫码支付: paid, and the scan page hands over to the result page', async () => {
  installRecordingCanvas();
  chooseInSheet('支付成功');
  expect(await submitCart({ 'sku-coffee-beans': 1 }, 'native')).toBe('/pay/scan/index');
  const scan = open(ids.scan);
  scan.page.onReady();
  await settle();
  scan.tap('#simulate-scan');
  await until(() => nav.urls.length > 1, 5000);
  const orderId = orderIdOf(nav.urls[1]);
  expect(requests.urls).toContain(`${s.url}/sandbox/api/wxpay/scan`);
  const result = open(ids.result, { orderId });
  await reachPhase('paid');
  expect(result.text('#paid')).toBe('支付成功');
  expect(await s.order(orderId)).toMatchObject({ status: 'PAID', payMethod: 'native', paidVia: 'notify' });
});
