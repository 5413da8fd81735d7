/** @jest-environment jsdom */
/** Staff's 发货 on the merchant order page: the form, its checks, the one re-shipping, and the hooks' state. */
import { loadPage, mount, settle, simulate } from './setup';
import { setTransport } from '../../miniprogram/services/api';
import { merchant } from '../../miniprogram/merchant/store';
import { FakeMerchant, merchantOrder } from './merchant-fake';
import type { MerchantEvent } from '../../typings/merchant';

interface PageMethods {
  onLoad(q: Record<string, string>): void;
  onShow(): void;
}

let orderPage: string;
beforeAll(() => {
  orderPage = loadPage('merchant/order/index');
});
beforeEach(() => merchant.reset());

type Rendered = ReturnType<typeof simulate.render>;
async function open(s: FakeMerchant, orderId: string) {
  setTransport(s);
  const comp = mount(simulate.render(orderPage));
  const page = comp.instance as unknown as PageMethods;
  page.onLoad({ orderId });
  page.onShow();
  await settle();
  // Queries do not cross into a component: look inside ship-form.
  const form = () => comp.querySelector('.ship-form')! as unknown as Rendered;
  return {
    text: (sel: string) => form().querySelector(sel)?.dom.textContent?.trim(),
    has: (sel: string) => Boolean(form().querySelector(sel)),
    tap: async (sel: string) => {
      form().querySelector(sel)!.dispatchEvent('tap');
      await settle();
    },
    change: async (sel: string, value: string) => {
      form().querySelector(sel)!.dispatchEvent('change', { detail: { value } });
      await settle();
    },
    input: async (sel: string, value: string) => {
      form().querySelector(sel)!.dispatchEvent('input', { detail: { value } });
      await settle();
    },
  };
}
const ships = (s: FakeMerchant) => s.calls.filter((c: MerchantEvent) => c.action === 'ship');

test('express needs a tracking number and carrier; then shipped, and the one re-shipping is offered once', async () => {
  const s = new FakeMerchant().add(merchantOrder('PAID', { orderId: 'p1', fulfilment: { state: 'UNSHIPPED' }, fulfilmentTask: { state: 'DONE', types: ['goods'], done: ['goods'], attempts: 1 } }));
  const f = await open(s, 'p1');
  expect(f.text('#ship-state')).toBe('待发货');
  await f.tap('#open-ship');
  await f.tap('#submit-ship');
  expect(f.text('#ship-error')).toBe('快递发货需填写快递单号和快递公司编码（如 SF、ZTO）');
  expect(ships(s)).toHaveLength(0);
  await f.input('#tracking-no', 'SF1234567890');
  await f.input('#express-company', 'sf');
  await f.tap('#submit-ship');
  await settle();
  expect(ships(s)).toEqual([{ action: 'ship', orderId: 'p1', logistics: 'EXPRESS', trackingNo: 'SF1234567890', expressCompany: 'SF' }]);
  expect(f.text('#ship-state')).toBe('已发货');
  expect(f.text('#ship-shipping')).toBe('快递 SF SF1234567890');
  expect(f.text('#open-ship')).toBe('修改发货');
  // The re-shipping (to pick-up), after which no more changes are offered.
  await f.tap('#open-ship');
  expect(f.has('#ship-form')).toBe(true);
  await f.change('#logistics-picker', '2');
  expect(f.has('#tracking-no')).toBe(false);
  await f.tap('#submit-ship');
  await settle();
  expect(ships(s)[1]).toEqual({ action: 'ship', orderId: 'p1', logistics: 'PICKUP' });
  expect(f.text('#ship-shipping')).toContain('（已重新发货）');
  expect(f.has('#open-ship')).toBe(false);
});

test('hooks that gave up are shown with their last error; refunded orders are not offered 发货', async () => {
  const s = new FakeMerchant().add(
    merchantOrder('PAID', { orderId: 'h1', fulfilment: { state: 'UNSHIPPED' }, fulfilmentTask: { state: 'FAILED', types: ['membership'], done: [], attempts: 6, lastError: 'no such member plan' } }),
    merchantOrder('REFUNDED', { orderId: 'r1', fulfilment: { state: 'UNSHIPPED', endedAt: 5 } }),
  );
  const failed = await open(s, 'h1');
  expect(failed.text('#ship-task')).toBe('自动履约失败（已尝试 6 次）：no such member plan');
  merchant.reset();
  const refunded = await open(s, 'r1');
  expect(refunded.text('#ship-state')).toBe('已退款，无需发货');
  expect(refunded.has('#open-ship')).toBe(false);
});
