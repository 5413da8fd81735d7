/** @jest-environment jsdom */
/**
 * 确认收货 on the order detail, in the orders WeChat delivers: the receipt page opened with the order's
 * transaction id, its result arriving through App.onShow (before or after openBusinessView's success),
 * and the server asked each time; never RECEIVED on the client's word.
 */
import { getAppOptions, loadPage, mount, settle, simulate, until } from './setup';
import { setTransport } from '../../miniprogram/services/api';
import { checkout } from '../../miniprogram/pay/stores/checkout';
import { receipt } from '../../miniprogram/pay/stores/receipt';
import { FakeTransport, fail, ok } from './fake-transport';
import { FAST_POLL, order } from './fixtures';
import type { Order } from '../../typings/checkout';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn | undefined> }).wx;

interface PageMethods {
  onLoad(q: Record<string, string>): void;
  onShow(): void;
}

const shipped = (): Order =>
  order('PAID', {
    transactionId: '4200000001',
    fulfilment: { state: 'SHIPPED', shipping: { logistics: 'EXPRESS', trackingNo: 'SF100', expressCompany: 'SF', itemDesc: '杯*1', upload: 'UPLOADED' }, shippedAt: Date.UTC(2024, 4, 3) },
  });
const received = (): Order => {
  const o = shipped();
  return { ...o, fulfilment: { ...o.fulfilment!, state: 'RECEIVED', receivedAt: Date.UTC(2024, 4, 5) } };
};

let resultId: string;
beforeAll(() => {
  require('../../miniprogram/app');
  resultId = loadPage('pay/result/index');
});
let opened: Array<{ businessType: string; extraData: unknown }>;
let openSuccess: (() => void) | undefined;
beforeEach(() => {
  checkout.reset();
  checkout.pollPolicy = FAST_POLL;
  receipt.reset();
  opened = [];
  wxStub.canIUse = () => true;
  wxStub.openBusinessView = ((o: { businessType: string; extraData: unknown; success?: () => void }) => {
    opened.push({ businessType: o.businessType, extraData: o.extraData });
    openSuccess = o.success;
  }) as AnyFn;
});

const appOnShow = (extraData: object) =>
  (getAppOptions().onShow as (o: object) => void)({ scene: 1038, path: 'pay/result/index', referrerInfo: { appId: 'wx1183b055aeec94d1', extraData } });

type Rendered = ReturnType<typeof simulate.render>;
const box = (comp: Rendered) => comp.querySelector('.order-receipt')!;
const text = (comp: Rendered, sel: string) => box(comp).querySelector(sel)?.dom.textContent?.trim();

async function openResult(t: FakeTransport) {
  setTransport(t);
  const comp = mount(simulate.render(resultId));
  const page = comp.instance as unknown as PageMethods;
  page.onLoad({ orderId: 'o1' });
  page.onShow();
  await settle();
  return comp;
}

function server(confirm: () => ReturnType<typeof ok> | ReturnType<typeof fail>) {
  return new FakeTransport().on('queryOrder', () => ok({ order: shipped() })).on('confirmReceipt', confirm as never);
}

test('a shipped order shows its shipping and 确认收货; the receipt page opens with its transaction id', async () => {
  const t = server(() => ok({ order: received() }));
  const comp = await openResult(t);
  expect(text(comp, '#fulfilment-state')).toBe('已发货');
  expect(text(comp, '#shipping-text')).toBe('快递 SF SF100');
  box(comp).querySelector('#confirm-receipt')!.dispatchEvent('tap');
  await settle();
  expect(opened).toEqual([{ businessType: 'weappOrderConfirm', extraData: { transaction_id: '4200000001' } }]);
  // Opened, not yet back: nothing asked.
  openSuccess?.();
  await settle();
  expect(t.callsOf('confirmReceipt')).toHaveLength(0);
  expect(text(comp, '#receipt-waiting')).toBe('请在确认收货页面完成确认');
  appOnShow({ status: 'success', req_extradata: { transaction_id: '4200000001' } });
  await until(() => receipt.state.phase === 'done');
  await settle();
  expect(t.callsOf('confirmReceipt')).toEqual([{ action: 'confirmReceipt', orderId: 'o1' }]);
  expect(text(comp, '#fulfilment-state')).toBe('已收货');
  expect(box(comp).querySelector('#confirm-receipt')).toBeFalsy();
});

test('the return may come before openBusinessView reports success: asked once all the same', async () => {
  const t = server(() => ok({ order: received() }));
  const comp = await openResult(t);
  box(comp).querySelector('#confirm-receipt')!.dispatchEvent('tap');
  await settle();
  appOnShow({ status: 'success' });
  openSuccess?.();
  await until(() => receipt.state.phase === 'done');
  await settle();
  expect(t.callsOf('confirmReceipt')).toHaveLength(1);
  expect(text(comp, '#fulfilment-state')).toBe('已收货');
});

test('cancelled in the receipt page: the server is not asked, the button stays', async () => {
  const t = server(() => ok({ order: received() }));
  const comp = await openResult(t);
  box(comp).querySelector('#confirm-receipt')!.dispatchEvent('tap');
  await settle();
  openSuccess?.();
  appOnShow({ status: 'cancel' });
  await settle();
  expect(t.callsOf('confirmReceipt')).toHaveLength(0);
  expect(text(comp, '#fulfilment-state')).toBe('已发货');
  expect(box(comp).querySelector('#confirm-receipt')).toBeTruthy();
});

test('claimed while WeChat says not received: the server refuses and the page says so', async () => {
  const t = server(() => fail('RECEIPT_NOT_CONFIRMED', 'WeChat has no confirmation'));
  const comp = await openResult(t);
  box(comp).querySelector('#confirm-receipt')!.dispatchEvent('tap');
  await settle();
  openSuccess?.();
  appOnShow({ status: 'success' });
  await until(() => receipt.state.phase === 'error');
  await settle();
  expect(text(comp, '#receipt-message')).toBe('微信尚未记录确认收货，请在确认收货页面完成确认');
  expect(text(comp, '#fulfilment-state')).toBe('已发货');
});

test('without wx.openBusinessView the payer is told to update WeChat', async () => {
  wxStub.openBusinessView = undefined;
  const t = server(() => ok({ order: received() }));
  const comp = await openResult(t);
  box(comp).querySelector('#confirm-receipt')!.dispatchEvent('tap');
  await settle();
  expect(text(comp, '#receipt-message')).toBe('当前微信版本过低，请升级微信后再确认收货');
  expect(t.callsOf('confirmReceipt')).toHaveLength(0);
});

test('an unshipped order shows 待发货 and no button; an order without fulfilment shows nothing', async () => {
  const t = new FakeTransport().on('queryOrder', () => ok({ order: order('PAID', { fulfilment: { state: 'UNSHIPPED' } }) }));
  const comp = await openResult(t);
  expect(text(comp, '#fulfilment-state')).toBe('待发货');
  expect(box(comp).querySelector('#confirm-receipt')).toBeFalsy();
});
