/** @jest-environment jsdom */
import { loadPage, mount, recordSetData, settle, simulate, until } from './setup';
import { setTransport } from '../../miniprogram/services/api';
import { cart } from '../../miniprogram/stores/cart';
import { checkout } from '../../miniprogram/pay/stores/checkout';
import { FakeTransport, ok } from './fake-transport';
import { FAST_POLL, order, payment } from './fixtures';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn> }).wx;

let id: string;
beforeAll(() => {
  id = loadPage('pages/cart/index');
  checkout.pollPolicy = FAST_POLL;
});
beforeEach(() => {
  checkout.reset();
  cart.clear();
  cart.add({ skuId: 'tea', name: '绿茶', priceFen: 1990, stock: 5 });
  cart.add({ skuId: 'cup', name: '茶杯', priceFen: 990, stock: 5 });
  cart.add({ skuId: 'pot', name: '茶壶', priceFen: 12800, stock: 2 });
});

type Method = 'wechat' | 'native' | 'payjs';
/** The catalog answer for what is in the cart, with the methods this deployment takes. */
const catalogOk = (payMethods: Method[] = ['wechat', 'native', 'payjs']) => () =>
  ok({ products: cart.items.map(({ skuId, name, priceFen, stock }) => ({ skuId, name, priceFen, stock })), payMethods });

function render() {
  const comp = mount(simulate.render(id));
  (comp.instance as unknown as { onShow(): void }).onShow();
  return comp;
}

test('a quantity change sends one small path update, not the cart', async () => {
  const comp = render();
  await settle();
  const payloads = recordSetData(comp);

  comp.querySelectorAll('.inc')[2].dispatchEvent('tap');
  await settle();
  expect(payloads).toHaveLength(1);
  expect(payloads[0]).toEqual({ 'lines[2].quantity': 2, 'lines[2].subtotalText': '256.00', totalText: '285.80' });
  const bytes = JSON.stringify(payloads[0]).length;
  expect(bytes).toBeLessThan(100);
  expect(JSON.stringify(comp.data.lines).length).toBeGreaterThan(bytes * 2); // what a whole-cart update would cost
  expect(comp.querySelectorAll('.qty')[2].dom.textContent).toBe('2');
  expect(comp.querySelector('#total')!.dom.textContent).toBe('¥285.80');
  expect(cart.items[2].quantity).toBe(2);
});

test('the stepper stays within 1..stock and remove drops the line', async () => {
  const comp = render();
  await settle();
  const inc = comp.querySelectorAll('.inc')[2];
  inc.dispatchEvent('tap');
  inc.dispatchEvent('tap'); // stock is 2
  comp.querySelectorAll('.dec')[0].dispatchEvent('tap'); // already 1
  await settle();
  expect(cart.items.map((i) => i.quantity)).toEqual([1, 1, 2]);
  expect(comp.data.lines.map((l: { quantity: number }) => l.quantity)).toEqual([1, 1, 2]);

  comp.querySelectorAll('.remove')[1].dispatchEvent('tap');
  await settle();
  expect(comp.data.lines.map((l: { skuId: string }) => l.skuId)).toEqual(['tea', 'pot']);
  expect(comp.data.totalText).toBe('275.90');
});

test('submit: a double tap creates one order, pays, clears the cart and opens the result once', async () => {
  const t = new FakeTransport()
    .on('listProducts', catalogOk())
    .on('createOrder', () => ok({ order: order() }))
    .on('pay', () => ok({ method: 'wechat', order: order(), payment }))
    .on('queryOrder', () => ok({ order: order('PAID') }));
  setTransport(t);
  wxStub.requestPayment = ((o: { success: (r: unknown) => void }) => setTimeout(() => o.success({ errMsg: 'requestPayment:ok' }), 0)) as unknown as AnyFn;
  const navigate = jest.fn();
  wxStub.navigateTo = navigate;

  const comp = render();
  await settle();
  const submit = comp.querySelector('#submit')!;
  submit.dispatchEvent('tap');
  submit.dispatchEvent('tap');
  await until(() => navigate.mock.calls.length > 0);
  await settle();
  expect(t.callsOf('createOrder')).toHaveLength(1);
  expect(t.callsOf('createOrder')[0]).toMatchObject({ items: [{ skuId: 'tea', quantity: 1 }, { skuId: 'cup', quantity: 1 }, { skuId: 'pot', quantity: 1 }] });
  expect(navigate).toHaveBeenCalledTimes(1);
  expect(navigate.mock.calls[0][0]).toEqual({ url: '/pay/result/index?orderId=o1' });
  expect(cart.items).toHaveLength(0);
  expect(comp.querySelector('#empty')).toBeTruthy();
  await until(() => checkout.phase === 'paid');
});

test('the chosen method is sent; native opens the scan page', async () => {
  const t = new FakeTransport()
    .on('listProducts', catalogOk())
    .on('createOrder', () => ok({ order: order() }))
    .on('pay', () => ok({ method: 'native', order: order(), codeUrl: 'weixin://wxpay/bizpayurl?pr=x' }));
  setTransport(t);
  const navigate = jest.fn();
  wxStub.navigateTo = navigate;
  const comp = render();
  await settle();
  comp.querySelector('#methods')!.dispatchEvent('change', { detail: { value: 'native' } });
  await settle();
  comp.querySelector('#submit')!.dispatchEvent('tap');
  await until(() => navigate.mock.calls.length > 0);
  expect(t.callsOf('pay')[0]).toMatchObject({ method: 'native', orderId: 'o1' });
  expect(navigate.mock.calls[0][0]).toEqual({ url: '/pay/scan/index' });
});

test('showing the cart brings saved prices and stock up to date from the catalog', async () => {
  setTransport(
    new FakeTransport().on('listProducts', () =>
      ok({
        products: [
          { skuId: 'tea', name: '绿茶', priceFen: 2190, stock: 5 },
          { skuId: 'cup', name: '茶杯', priceFen: 990, stock: 5 },
        ],
        payMethods: ['wechat'],
      }),
    ),
  );
  const comp = render();
  await until(() => comp.querySelector('#total')!.dom.textContent === '¥31.80');
  expect(comp.querySelectorAll('.line')).toHaveLength(2); // 茶壶 is no longer sold
});

test('only the methods the server says this deployment takes are offered', async () => {
  setTransport(new FakeTransport().on('listProducts', catalogOk(['wechat'])));
  const comp = render();
  await until(() => comp.data.methods.length > 0);
  await settle();
  expect(comp.data.methods).toEqual([{ value: 'wechat', label: '微信支付' }]);
  expect(comp.dom!.textContent).not.toContain('PAYJS');
  expect(comp.dom!.textContent).not.toContain('扫码支付');
});

test('methods unknown (catalog unreachable): submitting makes no order and keeps the cart', async () => {
  const t = new FakeTransport().on('listProducts', () => Promise.reject(new Error('offline')));
  setTransport(t);
  const toast = jest.fn();
  wxStub.showToast = toast;
  const comp = render();
  await settle(8);
  expect(comp.querySelector('#methods-note')!.dom.textContent).toContain('无法获取支付方式');
  comp.querySelector('#submit')!.dispatchEvent('tap');
  await until(() => toast.mock.calls.length > 0);
  expect(toast.mock.calls[0][0]).toMatchObject({ title: '暂时无法获取支付方式，请稍后重试' });
  expect(t.callsOf('createOrder')).toHaveLength(0);
  expect(t.callsOf('listProducts').length).toBe(2); // asked again on submit
  expect(cart.items).toHaveLength(3);
});

test('a deployment with no method configured says so and makes no order', async () => {
  const t = new FakeTransport().on('listProducts', catalogOk([]));
  setTransport(t);
  const toast = jest.fn();
  wxStub.showToast = toast;
  const comp = render();
  await until(() => comp.querySelector('#methods-note')?.dom.textContent === '商家尚未开通在线支付');
  comp.querySelector('#submit')!.dispatchEvent('tap');
  await until(() => toast.mock.calls.length > 0);
  expect(t.callsOf('createOrder')).toHaveLength(0);
  expect(cart.items).toHaveLength(3);
});
