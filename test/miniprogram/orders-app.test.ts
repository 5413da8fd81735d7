/** @jest-environment jsdom */
import path from 'node:path';
import { getAppOptions, loadPage, MINIPROGRAM_ROOT, mount, settle, simulate, storage } from './setup';
import { call, setTransport } from '../../miniprogram/services/api';
import { config } from '../../miniprogram/config';
import { cart, CART_STORAGE_KEY } from '../../miniprogram/stores/cart';
import { FakeTransport, ok } from './fake-transport';
import { order } from './fixtures';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn> }).wx;

let ordersId: string;
beforeAll(() => {
  ordersId = loadPage('pages/orders/index');
});

test('my orders: lists orders with their status and opens the detail on tap', async () => {
  setTransport(
    new FakeTransport().on('listOrders', () =>
      ok({ orders: [order('PAID', { orderId: 'a' }), order('CLOSED', { orderId: 'b', closeReason: 'EXPIRED' }), order('PENDING', { orderId: 'c' })] }),
    ),
  );
  const navigate = jest.fn();
  wxStub.navigateTo = navigate;
  const comp = mount(simulate.render(ordersId));
  (comp.instance as unknown as { onShow(): void }).onShow();
  await settle();
  const statuses = comp.querySelectorAll('.status').map((s) => s.dom.textContent);
  expect(statuses).toEqual(['已支付', '已过期', '待支付']);
  expect(comp.dom!.textContent).toContain('绿茶 等 2 件');
  comp.querySelectorAll('.order')[2].dispatchEvent('tap');
  await settle();
  expect(navigate).toHaveBeenCalledWith({ url: '/pay/result/index?orderId=c' });
});

test('my orders: empty state', async () => {
  setTransport(new FakeTransport().on('listOrders', () => ok({ orders: [] })));
  const comp = mount(simulate.render(ordersId));
  (comp.instance as unknown as { onShow(): void }).onShow();
  await settle();
  expect(comp.querySelector('#empty')).toBeTruthy();
});

test('my orders: a failed load offers 重试, which loads again', async () => {
  let calls = 0;
  setTransport(
    new FakeTransport().on('listOrders', () => {
      if (++calls === 1) throw new Error('request:fail timeout');
      return ok({ orders: [order('PAID', { orderId: 'a' })] });
    }),
  );
  const comp = mount(simulate.render(ordersId));
  (comp.instance as unknown as { onShow(): void }).onShow();
  await settle();
  expect(comp.querySelector('#error')).toBeTruthy();
  comp.querySelector('#retry')!.dispatchEvent('tap');
  await settle();
  expect(comp.querySelectorAll('.status').map((x) => x.dom.textContent)).toEqual(['已支付']);
});

test('app launch in local mode: HTTP transport with the local openid, cart restored', async () => {
  storage.set(CART_STORAGE_KEY, [{ skuId: 'tea', name: '绿茶', priceFen: 1990, stock: 3, quantity: 2 }]);
  const requests: Array<Record<string, unknown>> = [];
  wxStub.request = ((o: { success: (r: unknown) => void } & Record<string, unknown>) => {
    requests.push(o);
    o.success({ statusCode: 200, data: { ok: true, data: { products: [] } } });
  }) as unknown as AnyFn;
  config.mode = 'local';
  try {
    require('../../miniprogram/app');
    (getAppOptions().onLaunch as () => void)();
  } finally {
    config.mode = 'cloud';
  }
  expect(cart.count).toBe(2);
  await call<'listProducts'>({ action: 'listProducts' });
  expect(requests[0]).toMatchObject({ url: 'http://127.0.0.1:8787/api/checkout', header: { 'X-WX-OPENID': config.localOpenId } });
});

test('every .wxml compiles with the official compiler', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const compiler = require('miniprogram-compiler') as { wxmlToJs(root: string): string };
  const js = compiler.wxmlToJs(MINIPROGRAM_ROOT);
  expect(js).toContain('$gwx');
  for (const page of ['pages/catalog/index', 'pages/cart/index', 'pages/orders/index', 'pay/result/index', 'pay/scan/index']) {
    expect(js).toContain(`${page}.wxml`);
  }
});

test('the official compiler does fail on broken WXML (so the check above can fail)', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const os = require('node:os') as typeof import('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wxml-'));
  fs.writeFileSync(path.join(dir, 'bad.wxml'), '<view wx:if="{{a}}"><text>unclosed</view>');
  const compiler = require('miniprogram-compiler') as { wxmlToJs(root: string): string };
  expect(() => compiler.wxmlToJs(dir)).toThrow();
  fs.rmSync(dir, { recursive: true, force: true });
});
