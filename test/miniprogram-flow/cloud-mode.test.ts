/**
 * @jest-environment jsdom
 *
 * Cloud mode end to end: the cart page, tapped in simulate, calls the real checkout function through
 * the app's own cloud transport (wx.cloud.callFunction carried to the local host with the caller's
 * OPENID); the payment sheet is the WeChat Pay v3 emulator, which checks paySign and sends the real
 * signed notification; the result page decides "paid" only from the server's answer.
 */
import {
  FLOW_POLL,
  Wallet,
  fillCart,
  installCloud,
  installNavigation,
  installRecordingCanvas,
  loadPage,
  pageTracker,
  orderIdOf,
  reachPhase,
  scanCanvas,
  settle,
  until,
} from './harness';
import { getAppOptions } from '../miniprogram/setup';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';
import { cart } from '../../miniprogram/stores/cart';
import { checkout } from '../../miniprogram/pay/stores/checkout';
import { config } from '../../miniprogram/config';

let s: TestSandbox;
let wallet: Wallet;
let nav: { urls: string[] };
let openid = '';
let serial = 0;
const ids = { cart: '', result: '', scan: '' };
const pages = pageTracker();

beforeAll(async () => {
  s = await startTestSandbox({ WXPAY_API_VERSION: 'v3' });
  installCloud(s.url, () => openid);
  wallet = new Wallet(s.url);
  expect(config.mode).toBe('cloud');
  require('../../miniprogram/app');
  (getAppOptions().onLaunch as () => void)(); // wx.cloud.init + the cloud transport, as on a phone
  ids.cart = loadPage('pages/cart/index');
  ids.result = loadPage('pay/result/index');
  ids.scan = loadPage('pay/scan/index');
  checkout.pollPolicy = FLOW_POLL;
});
afterAll(async () => {
  await s.close();
});
beforeEach(() => {
  openid = `openid-flow-${++serial}`;
  checkout.reset();
  wallet.reset();
  nav = installNavigation();
});
afterEach(() => {
  pages.closeAll();
  checkout.reset();
  jest.restoreAllMocks();
});

const open = pages.open;

/** Cart → 提交订单 → the page it navigates to; returns the order id and the cart page. */
async function submitCart(units: Record<string, number>, method?: 'native') {
  await fillCart(s, openid, units);
  const cartPage = open(ids.cart);
  await settle();
  if (method) {
    cartPage.comp.querySelector('#methods')!.dispatchEvent('change', { detail: { value: method } });
    await settle();
  }
  cartPage.tap('#submit');
  await until(() => nav.urls.length > 0, 5000);
  return { cartPage, url: nav.urls[0] };
}

async function submitAndOpenResult(units: Record<string, number>) {
  const { url, cartPage } = await submitCart(units);
  const orderId = orderIdOf(url);
  return { orderId, cartPage, result: open(ids.result, { orderId }) };
}

test('pay: the signed notification arrives and the result page shows paid', async () => {
  const { orderId, cartPage, result } = await submitAndOpenResult({ 'sku-coffee-beans': 2, 'sku-filter-papers': 1 });
  await reachPhase('paid');

  expect(result.comp.data.phase).toBe('paid');
  expect(result.text('#paid')).toBe('支付成功');
  expect(result.text('#status-text')).toBe('已支付');
  expect(result.text('#amount')).toBe('¥145.90'); // 2 × 6800 + 990 fen, priced by the server
  const doc = await s.order(orderId);
  expect(doc).toMatchObject({ status: 'PAID', amountFen: 14590, paidVia: 'notify', _openid: openid });
  // The sheet got exactly wx.requestPayment's fields, signed with RSA (v3).
  expect(Object.keys(wallet.seen[0]).sort()).toEqual(['nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
  expect(wallet.seen[0]).toMatchObject({ signType: 'RSA', package: expect.stringMatching(/^prepay_id=/) });
  // The cart is emptied once the order holds the items.
  expect(cart.items).toHaveLength(0);
  expect(cartPage.comp.querySelector('#empty')).toBeTruthy();
});

test('cancel in the sheet: cancelled, the order stays payable on the server, and paying again works', async () => {
  wallet.outcome = 'cancel';
  const { orderId, result } = await submitAndOpenResult({ 'sku-mug': 1 });
  await reachPhase('cancelled');
  expect(result.text('#cancelled')).toBe('已取消支付');
  expect((await s.order(orderId)).status).toBe('PENDING');
  expect(s.emulators.wxpayV3.list().find((p) => `prepay_id=${p.prepayId}` === wallet.seen[0].package)).toMatchObject({ status: 'WAITING', lastOutcome: 'cancel' });

  wallet.outcome = 'pay';
  result.tap('#pay-again');
  await reachPhase('paid');
  expect(result.text('#paid')).toBe('支付成功');
  expect((await s.order(orderId)).status).toBe('PAID');
  // The same trade is paid: pay again reused the prepay id.
  expect(wallet.seen.map((p) => p.package)).toEqual([wallet.seen[0].package, wallet.seen[0].package]);
});

test('a paySign the wallet rejects: failed, nothing paid', async () => {
  wallet.alter = (p) => ({ ...p, paySign: p.paySign.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) });
  const { orderId, result } = await submitAndOpenResult({ 'sku-mug': 1 });
  await reachPhase('failed');
  expect(result.text('#failed')).toBe('支付失败');
  expect(result.text('#error-message')).toBe('支付未完成，请重试');
  expect((await s.order(orderId)).status).toBe('PENDING');
  expect(result.comp.querySelector('#pay-again')).toBeTruthy();
});

test('provider error: failed with the user text for PROVIDER_ERROR; once it recovers, pay again pays the same trade', async () => {
  const fault = { pathIncludes: '/v3/pay/transactions/jsapi', kind: 'reply', reply: { statusCode: 500, headers: {}, body: '{"code":"SYSTEM_ERROR","message":"x"}' }, times: 10 };
  expect((await s.post('/sandbox/api/faults', { provider: 'wxpay-v3', fault })).status).toBe(200);
  const before = s.emulators.wxpayV3.received.length;
  try {
    const { orderId, result } = await submitAndOpenResult({ 'sku-drip-bags': 1 });
    await reachPhase('failed');
    expect(result.text('#failed')).toBe('支付失败');
    expect(result.text('#error-message')).toBe('支付服务暂时不可用，请稍后重试');
    expect(wallet.seen).toHaveLength(0);
    // The function retried with the same body each time.
    const attempts = s.emulators.wxpayV3.received.slice(before).filter((r) => r.path === '/v3/pay/transactions/jsapi');
    expect(attempts.length).toBeGreaterThan(1);
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
    expect((await s.order(orderId)).status).toBe('PENDING');

    await s.post('/sandbox/api/faults', { provider: 'wxpay-v3', clear: true });
    result.tap('#pay-again');
    await reachPhase('paid');
    expect(result.text('#paid')).toBe('支付成功');
    expect((await s.order(orderId)).outTradeNo).toBe(JSON.parse(attempts[0].body).out_trade_no);
  } finally {
    await s.post('/sandbox/api/faults', { provider: 'wxpay-v3', clear: true });
  }
});

test('expired: paying again after the order\'s time is up shows expired and gives the stock back', async () => {
  wallet.outcome = 'cancel';
  const stock = await s.stock('sku-filter-papers');
  const { orderId, result } = await submitAndOpenResult({ 'sku-filter-papers': 3 });
  await reachPhase('cancelled');
  expect(await s.stock('sku-filter-papers')).toBe(stock - 3);

  const realNow = Date.now;
  const skew = checkout.order!.expiresAt + 1000 - realNow();
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skew);
  wallet.outcome = 'pay';
  result.tap('#pay-again');
  await reachPhase('expired');
  expect(result.text('#expired')).toBe('订单已过期');
  expect(result.text('#status-text')).toBe('已过期');
  expect(result.comp.querySelector('#pay-again')).toBeFalsy();
  expect(wallet.seen).toHaveLength(1); // no second payment sheet
  expect(await s.order(orderId)).toMatchObject({ status: 'CLOSED', closeReason: 'EXPIRED' });
  expect(await s.stock('sku-filter-papers')).toBe(stock);
});

test('a double tap on 提交订单 places one order and opens one page', async () => {
  await fillCart(s, openid, { 'sku-mug': 2 });
  const cartPage = open(ids.cart);
  await settle();
  cartPage.tap('#submit');
  cartPage.tap('#submit');
  await until(() => nav.urls.length > 0, 5000);
  await reachPhase('paid');
  await settle();
  const { orders } = await s.ok(openid, { action: 'listOrders' });
  expect(orders).toHaveLength(1);
  expect(orders[0]).toMatchObject({ status: 'PAID', amountFen: 9000 });
  expect(nav.urls).toEqual([`/pay/result/index?orderId=${orders[0].orderId}`]);
  expect(wallet.seen).toHaveLength(1);
});

test('scan-to-pay: the code drawn on the scan page, scanned and paid, leads to the result page showing paid', async () => {
  const canvas = installRecordingCanvas();
  const { url } = await submitCart({ 'sku-coffee-beans': 1 }, 'native');
  expect(url).toBe('/pay/scan/index');
  const scan = open(ids.scan);
  scan.page.onReady();
  await settle();
  expect(scan.text('#amount')).toBe('¥68.00');
  expect(scan.comp.querySelector('#simulate-scan')).toBeFalsy(); // cloud mode: a real phone scans
  // The code is drawn once the page has its code_url and layout: wait for the drawing, not a fixed tick count.
  await until(() => scanCanvas(canvas.rects, scan.comp.data.qrSize) !== null, 5000);
  const codeUrl = scanCanvas(canvas.rects, scan.comp.data.qrSize);
  expect(codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
  expect(codeUrl).toBe(checkout.codeUrl);
  expect(checkout.polling).toBe(true);

  expect((await s.post('/sandbox/api/wxpay/scan', { codeUrl, outcome: 'pay' })).status).toBe(200);
  await until(() => nav.urls.length > 1, 5000);
  const orderId = orderIdOf(nav.urls[1]);
  expect(orderId).toBe(checkout.order!.orderId);
  const result = open(ids.result, { orderId });
  await reachPhase('paid');
  expect(result.text('#paid')).toBe('支付成功');
  expect(await s.order(orderId)).toMatchObject({ status: 'PAID', payMethod: 'native', paidVia: 'notify' });
  expect(wallet.seen).toHaveLength(0);
});
