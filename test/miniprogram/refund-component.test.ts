/** @jest-environment jsdom */
import { loadPage, mount, settle, simulate } from './setup';
import { setTransport } from '../../miniprogram/services/api';
import { refundsView } from '../../miniprogram/utils/refund-view';
import { FakeTransport, ok } from './fake-transport';
import { order } from './fixtures';
import { refund } from './merchant-fake';

/** order-refunds on its own: its properties, and the events pages bind to. */
let id: string;
beforeAll(() => {
  id = loadPage('pay/components/order-refunds/index');
});

/** Records what the component emits (j-component has addEventListener; its typings do not). */
function listen(comp: unknown, name: string): unknown[] {
  const seen: unknown[] = [];
  (comp as { addEventListener(n: string, fn: (e: { detail: unknown }) => void): void }).addEventListener(name, (e) => seen.push(e.detail));
  return seen;
}

const paid = order('PAID', { refunds: [refund({ refundId: 'r1', status: 'PROCESSING' })] });

test('payer: emits change with the order the request answered', async () => {
  const answered = order('PAID', { refunds: paid.refunds, refundRequest: { reason: '坏了', requestedAt: 1, status: 'OPEN' } });
  setTransport(new FakeTransport().on('requestRefund', () => ok({ order: answered })));
  const comp = mount(simulate.render(id, { view: refundsView(paid) }));
  const changes = listen(comp, 'change');
  expect(comp.querySelectorAll('.refresh')).toHaveLength(0);
  comp.querySelector('#open-request')!.dispatchEvent('tap');
  await settle();
  comp.querySelector('#reason')!.dispatchEvent('input', { detail: { value: '坏了' } });
  comp.querySelector('#submit-request')!.dispatchEvent('tap');
  await settle(6);
  expect(changes).toEqual([{ order: answered }]);
  // The page passes the new view down; the component then shows the request.
  comp.setData({ view: refundsView(answered) });
  await settle();
  expect(comp.querySelector('#request-status')!.dom.textContent).toBe('退款申请审核中');
  expect(comp.querySelector('#open-request')).toBeFalsy();
});

test('staff: 刷新 on refunds not final emits refresh with the refundId, no request form', async () => {
  const comp = mount(simulate.render(id, { view: refundsView(paid), staff: true }));
  const refreshes = listen(comp, 'refresh');
  expect(comp.querySelector('#open-request')).toBeFalsy();
  comp.querySelector('.refresh')!.dispatchEvent('tap');
  await settle();
  expect(refreshes).toEqual([{ refundId: 'r1' }]);
});

test('nothing to show: no card', async () => {
  const comp = mount(simulate.render(id, { view: refundsView(order('PENDING')) }));
  expect(comp.querySelector('#refunds')).toBeFalsy();
  const none = mount(simulate.render(id, { view: null }));
  expect(none.querySelector('#refunds')).toBeFalsy();
});
