/** @jest-environment jsdom */
import { loadPage, mount, settle, simulate } from './setup';
import { setTransport } from '../../miniprogram/services/api';
import { cart } from '../../miniprogram/stores/cart';
import { FakeTransport, fail, ok } from './fake-transport';

const products = [
  { skuId: 'tea', name: '绿茶', priceFen: 1990, stock: 2 },
  { skuId: 'cup', name: '茶杯', priceFen: 990, stock: 0 },
];

let id: string;
beforeAll(() => {
  id = loadPage('pages/catalog/index');
});
beforeEach(() => {
  cart.clear();
});

function render(transport: FakeTransport) {
  setTransport(transport);
  const comp = mount(simulate.render(id));
  (comp.instance as unknown as { onLoad(): void }).onLoad();
  return comp;
}

test('lists products with price in yuan and stock, and adds to the cart within stock', async () => {
  const comp = render(new FakeTransport().on('listProducts', () => ok({ products, payMethods: ['wechat'] })));
  await settle();
  expect(comp.data.status).toBe('ready');
  const text = comp.dom!.textContent!;
  expect(text).toContain('¥19.90');
  expect(text).toContain('库存 2');
  expect(text).toContain('已售罄');

  const add = comp.querySelectorAll('.add')[0];
  add.dispatchEvent('tap');
  add.dispatchEvent('tap');
  add.dispatchEvent('tap'); // a third exceeds the stock of 2
  await settle();
  expect(cart.count).toBe(2);
  expect(comp.data.cartCount).toBe(2);
  expect(comp.dom!.textContent).toContain('购物车（2）');
});

test('shows the empty state', async () => {
  const comp = render(new FakeTransport().on('listProducts', () => ok({ products: [], payMethods: [] })));
  await settle();
  expect(comp.querySelector('#empty')).toBeTruthy();
});

test('shows the error state and retries', async () => {
  let calls = 0;
  const comp = render(
    new FakeTransport().on('listProducts', () => (++calls === 1 ? fail('INTERNAL', 'database timeout') : ok({ products, payMethods: ['wechat'] }))),
  );
  await settle();
  expect(comp.data.status).toBe('error');
  expect(comp.dom!.textContent).toContain('服务异常，请稍后重试');
  comp.querySelector('#retry')!.dispatchEvent('tap');
  await settle();
  expect(comp.data.status).toBe('ready');
});
