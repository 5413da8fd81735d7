/**
 * @jest-environment jsdom
 *
 * Refunds end to end in local mode: the payer's request from the order page, the merchant's pages
 * approving it and refunding the rest, settled by the v3 emulator, all over wx.request to the local
 * host (the real checkout and merchant functions, the emulator's signed notifications and queries).
 */
import { FLOW_POLL, chooseInSheet, fillCart, installHttpRequest, installNavigation, loadPage, orderIdOf, pageTracker, reachPhase, settle, until } from '../miniprogram-flow/harness';
import { getAppOptions, mount, simulate } from './setup';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';
import { checkout } from '../../miniprogram/pay/stores/checkout';
import { merchant } from '../../miniprogram/merchant/store';
import { staffRole } from '../../miniprogram/services/staff-role';
import { config } from '../../miniprogram/config';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn> }).wx;

let s: TestSandbox;
const ids = { cart: '', result: '', mOrders: '', mOrder: '', mRefund: '' };
const pages = pageTracker();
const STAFF = 'local-openid-staff';

beforeAll(async () => {
  s = await startTestSandbox({ WXPAY_API_VERSION: 'v3', MERCHANT_OPENIDS: STAFF });
  config.mode = 'local';
  config.localBaseUrl = s.url;
  installHttpRequest();
  require('../../miniprogram/app');
  ids.cart = loadPage('pages/cart/index');
  ids.result = loadPage('pay/result/index');
  ids.mOrders = loadPage('merchant/orders/index');
  ids.mOrder = loadPage('merchant/order/index');
  ids.mRefund = loadPage('merchant/refund/index');
  checkout.pollPolicy = FLOW_POLL;
});
afterAll(async () => {
  pages.closeAll();
  await s.close();
});

function as(openid: string) {
  config.localOpenId = openid;
  (getAppOptions().onLaunch as () => void)();
}

/** A page without onShow: onLoad only (the framework's onShow finds nothing to call). */
function openLoaded(id: string, query: Record<string, string>) {
  const comp = mount(simulate.render(id));
  (comp.instance as unknown as { onLoad(q: Record<string, string>): void }).onLoad(query);
  return { comp, text: (sel: string) => comp.querySelector(sel)?.dom.textContent ?? null, tap: (sel: string) => comp.querySelector(sel)!.dispatchEvent('tap') };
}

const refundsBox = (comp: { querySelector(sel: string): unknown }) => comp.querySelector('.order-refunds') as { querySelector(sel: string): { dom: { textContent: string | null }; dispatchEvent(n: string, d?: object): void } | undefined; querySelectorAll(sel: string): Array<{ dom: { textContent: string | null } }> };

test('pay → 申请退款 → merchant approves part → refunds the rest → settled → REFUNDED', async () => {
  as('local-openid-payer');
  const nav = installNavigation();
  chooseInSheet('支付成功');
  await fillCart(s, config.localOpenId, { 'sku-drip-bags': 2 });
  const cartPage = pages.open(ids.cart);
  await settle();
  cartPage.tap('#submit');
  await until(() => nav.urls.length > 0, 5000);
  const orderId = orderIdOf(nav.urls[0]);
  const result = pages.open(ids.result, { orderId });
  await reachPhase('paid');

  // The payer asks for a refund on the order page.
  const box = refundsBox(result.comp);
  box.querySelector('#open-request')!.dispatchEvent('tap');
  await settle();
  box.querySelector('#reason')!.dispatchEvent('input', { detail: { value: '买多了' } });
  box.querySelector('#submit-request')!.dispatchEvent('tap');
  await until(() => box.querySelector('#request-status')?.dom.textContent === '退款申请审核中');

  // Staff: the list opens on open requests; approve 10 yuan of it.
  as(STAFF);
  merchant.reset();
  staffRole.reset();
  expect(await staffRole.check()).toBe(true);
  const list = openLoaded(ids.mOrders, {});
  await until(() => list.comp.querySelectorAll('.order').length === 1);
  const detail = pages.open(ids.mOrder, { orderId });
  await until(() => detail.text('#amount') === '¥79.80');
  wxStub.showModal = (() => Promise.resolve({ confirm: true, cancel: false })) as unknown as AnyFn;
  detail.comp.querySelector('#approve-amount')!.dispatchEvent('input', { detail: { value: '10' } });
  detail.tap('#approve');
  await until(() => !!merchant.order?.refunds?.length, 5000);
  await settle();
  expect(merchant.refunds!.request!.statusText).toBe('退款申请已同意');
  expect(merchant.refunds!.refunds.map((r) => r.text)).toEqual(['退款中 ¥10.00']);

  // Refund the rest from the form (defaults to what is left).
  const back = jest.fn();
  wxStub.navigateBack = back as unknown as AnyFn;
  wxStub.showToast = jest.fn() as unknown as AnyFn;
  const form = openLoaded(ids.mRefund, { orderId });
  await until(() => form.comp.data.form?.amountText === '69.80');
  form.tap('#submit');
  await until(() => back.mock.calls.length > 0, 5000);

  // The bank settles both; 刷新 (queryRefund) or the notification brings them to SUCCESS.
  const stored = await s.order(orderId);
  for (const r of stored.refunds) await s.post(`/sandbox/api/refunds/wxpay-v3/${r.outRefundNo}/succeed`, {});
  detail.page.onShow();
  await until(() => merchant.detail?.statusText === '已退款', 5000);
  expect(merchant.refunds!.refunds.map((r) => r.text).sort()).toEqual(['已退款 ¥10.00', '已退款 ¥69.80']);
  expect((await s.order(orderId)).status).toBe('REFUNDED');
});
