/**
 * @jest-environment jsdom
 *
 * Local mode end to end after payment: a virtual product shipped by itself; goods shipped by the
 * merchant function; 确认收货 on the order page through the local sheet (确认收货 / 取消) standing in for
 * WeChat's receipt page, answered by the 发货信息管理 emulator and confirmed by the server.
 */
import { FLOW_POLL, chooseInSheet, fillCart, installHttpRequest, installNavigation, loadPage, orderIdOf, pageTracker, reachPhase, settle, until } from './harness';
import { getAppOptions } from '../miniprogram/setup';
import { postJson, startTestSandbox, type TestSandbox } from '../helpers/sandbox';
import { checkout } from '../../miniprogram/pay/stores/checkout';
import { receipt } from '../../miniprogram/pay/stores/receipt';
import { config } from '../../miniprogram/config';

let s: TestSandbox;
let nav: { urls: string[] };
let serial = 0;
const ids = { cart: '', result: '' };
const pages = pageTracker();
const staff = 'openid-staff';

beforeAll(async () => {
  s = await startTestSandbox({ WXPAY_API_VERSION: 'v3', MERCHANT_OPENIDS: staff });
  config.mode = 'local';
  config.localBaseUrl = s.url;
  installHttpRequest();
  require('../../miniprogram/app');
  ids.cart = loadPage('pages/cart/index');
  ids.result = loadPage('pay/result/index');
  checkout.pollPolicy = FLOW_POLL;
});
afterAll(() => s.close());
beforeEach(() => {
  config.localOpenId = `receipt-openid-${++serial}`;
  (getAppOptions().onLaunch as () => void)();
  checkout.reset();
  receipt.reset();
  nav = installNavigation();
});
afterEach(() => {
  pages.closeAll();
  checkout.reset();
});

async function buy(units: Record<string, number>): Promise<string> {
  chooseInSheet('支付成功');
  await fillCart(s, config.localOpenId, units);
  const cartPage = pages.open(ids.cart);
  await settle();
  cartPage.tap('#submit');
  await until(() => nav.urls.length > 0, 5000);
  const orderId = orderIdOf(nav.urls[0]);
  pages.open(ids.result, { orderId });
  await reachPhase('paid');
  pages.closeAll();
  return orderId;
}

function openOrder(orderId: string) {
  const page = pages.open(ids.result, { orderId });
  // Queries do not cross into a component: look inside order-receipt.
  const box = () => page.comp.querySelector('.order-receipt') as unknown as { querySelector(s: string): { dom: { textContent: string | null }; dispatchEvent(n: string): void } | undefined };
  return {
    state: () => box().querySelector('#fulfilment-state')?.dom.textContent?.trim(),
    button: () => box().querySelector('#confirm-receipt'),
  };
}

test('a virtual product is shipped without anyone touching it', async () => {
  const orderId = await buy({ 'sku-brew-guide': 1 });
  const view = openOrder(orderId);
  await until(() => view.state() === '已发货', 5000);
  expect((await s.order(orderId)).fulfilment).toMatchObject({ state: 'SHIPPED', shipping: { logistics: 'VIRTUAL', upload: 'UPLOADED' } });
});

test('goods shipped by the merchant, then 确认收货 on the order page: 取消 changes nothing, 确认收货 makes it RECEIVED', async () => {
  const orderId = await buy({ 'sku-mug': 1 });
  let view = openOrder(orderId);
  await until(() => view.state() === '待发货', 5000);
  expect(view.button()).toBeFalsy();
  pages.closeAll();

  const shipped = await postJson(`${s.url}/api/merchant`, { action: 'ship', orderId, logistics: 'EXPRESS', trackingNo: 'SF1234', expressCompany: 'SF' }, { 'X-WX-OPENID': staff });
  expect(shipped.body.ok).toBe(true);
  view = openOrder(orderId);
  await until(() => view.state() === '已发货', 5000);

  const cancel = chooseInSheet('取消');
  view.button()!.dispatchEvent('tap');
  await until(() => cancel.shown.length === 1 && receipt.state.phase === 'idle', 5000);
  await settle();
  expect(cancel.shown).toEqual([['确认收货', '取消']]);
  expect(view.state()).toBe('已发货');
  expect((await s.order(orderId)).fulfilment.state).toBe('SHIPPED');

  chooseInSheet('确认收货');
  view.button()!.dispatchEvent('tap');
  await until(() => receipt.state.phase === 'done', 5000);
  await settle();
  expect(view.state()).toBe('已收货');
  expect(view.button()).toBeFalsy();
  expect((await s.order(orderId)).fulfilment).toMatchObject({ state: 'RECEIVED', receivedAt: expect.any(Number) });
  const tx = (await s.order(orderId)).transactionId;
  expect(s.emulators.shipping.list().find((r) => r.transactionId === tx)?.orderState).toBe(3);
});
