/** @jest-environment jsdom */
import { loadPage, mount, settle, simulate } from './setup';
import { setTransport } from '../../miniprogram/services/api';
import { checkout } from '../../miniprogram/pay/stores/checkout';
import { staffRole } from '../../miniprogram/services/staff-role';
import { FakeTransport, fail, ok } from './fake-transport';
import { FAST_POLL, order } from './fixtures';
import { FakeMerchant, refund } from './merchant-fake';
import type { Order } from '../../typings/checkout';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn> }).wx;

interface PageMethods {
  onLoad(q: Record<string, string>): void;
  onShow(): void;
  onUnload(): void;
}

let resultId: string;
let ordersId: string;
beforeAll(() => {
  resultId = loadPage('pay/result/index');
  ordersId = loadPage('pages/orders/index');
});
beforeEach(() => {
  checkout.reset();
  checkout.pollPolicy = FAST_POLL;
  staffRole.reset();
});

type Rendered = ReturnType<typeof simulate.render>;
const text = (comp: Rendered | undefined, sel: string) => comp?.querySelector(sel)?.dom.textContent?.trim();
const texts = (comp: Rendered, sel: string) => comp.querySelectorAll(sel).map((n) => n.dom.textContent!.trim());
/** The order-refunds component inside the page (queries do not cross into a component). */
const refunds = (comp: Rendered) => comp.querySelector('.order-refunds')!;

/** The order detail, driven as WeChat does: onLoad, then onShow in the same tick. */
async function openResult(t: FakeTransport) {
  setTransport(t);
  const comp = mount(simulate.render(resultId));
  const page = comp.instance as unknown as PageMethods;
  page.onLoad({ orderId: 'o1' });
  page.onShow();
  await settle();
  return { comp, page };
}

describe('order detail: refunds for the payer', () => {
  test('a paid order offers 申请退款; the reason is required; the request then shows 审核中', async () => {
    let current: Order = order('PAID');
    const t = new FakeTransport()
      .on('queryOrder', () => ok({ order: current }))
      .on('requestRefund', (e) => {
        current = order('PAID', { refundRequest: { reason: e.reason, requestedAt: Date.UTC(2024, 4, 2, 1), status: 'OPEN' } });
        return ok({ order: current });
      });
    const { comp, page } = await openResult(t);
    const box = refunds(comp);
    expect(text(box, '#open-request')).toBe('申请退款');
    box.querySelector('#open-request')!.dispatchEvent('tap');
    await settle();
    box.querySelector('#submit-request')!.dispatchEvent('tap');
    await settle();
    expect(text(box, '#request-error')).toBe('请填写退款原因');
    expect(t.callsOf('requestRefund')).toHaveLength(0);

    box.querySelector('#reason')!.dispatchEvent('input', { detail: { value: '买错了颜色' } });
    const submit = box.querySelector('#submit-request')!;
    submit.dispatchEvent('tap');
    submit.dispatchEvent('tap');
    await settle(6);
    expect(t.callsOf('requestRefund')).toEqual([{ action: 'requestRefund', orderId: 'o1', reason: '买错了颜色' }]);
    expect(text(box, '#request-status')).toBe('退款申请审核中');
    expect(text(box, '#request-reason')).toBe('原因：买错了颜色');
    expect(box.querySelector('#open-request')).toBeFalsy();
    expect(box.querySelector('#request-form')).toBeFalsy();
    // The page's order is the one the request answered (status and amount unchanged).
    expect(checkout.order!.refundRequest!.status).toBe('OPEN');
    expect(text(comp, '#status-text')).toBe('已支付');
    page.onUnload();
  });

  test('a refused request keeps the form open with the reason in words', async () => {
    const t = new FakeTransport().on('queryOrder', () => ok({ order: order('PAID') })).on('requestRefund', () => fail('ORDER_NOT_PAID', 'no'));
    const { comp, page } = await openResult(t);
    const box = refunds(comp);
    box.querySelector('#open-request')!.dispatchEvent('tap');
    await settle();
    box.querySelector('#reason')!.dispatchEvent('input', { detail: { value: '不要了' } });
    box.querySelector('#submit-request')!.dispatchEvent('tap');
    await settle(6);
    expect(text(box, '#request-error')).toBe('订单未支付，无法退款');
    expect(box.querySelector('#request-form')).toBeTruthy();
    page.onUnload();
  });

  test('each refund state; a rejected request shows the merchant note and allows asking again', async () => {
    const t = new FakeTransport().on('queryOrder', () =>
      ok({
        order: order('PAID', {
          refundedFen: 500,
          refunds: [
            refund({ refundId: 'a', amountFen: 500, status: 'SUCCESS' }),
            refund({ refundId: 'b', amountFen: 300, status: 'CLOSED', failure: '基本账户余额不足' }),
            refund({ refundId: 'c', amountFen: 200, status: 'ABNORMAL' }),
            refund({ refundId: 'd', amountFen: 100, status: 'PROCESSING' }),
          ],
          refundRequest: { reason: '质量问题', requestedAt: 1, status: 'REJECTED', note: '请先寄回商品' },
        }),
      }),
    );
    const { comp, page } = await openResult(t);
    const box = refunds(comp);
    expect(texts(box, '.refund-text')).toEqual(['退款中 ¥1.00', '退款异常 ¥2.00', '退款关闭 ¥3.00', '已退款 ¥5.00']);
    expect(text(box, '#refunded')).toBe('已退款 ¥5.00');
    expect(box.dom!.textContent).toContain('退款未能到账，商家正在处理');
    expect(text(box, '#request-status')).toBe('退款申请已拒绝');
    expect(text(box, '#request-note')).toBe('商家说明：请先寄回商品');
    expect(text(box, '#open-request')).toBe('再次申请退款');
    // The payer never gets the staff's 刷新, nor the provider's reason for refusing a refund.
    expect(box.querySelectorAll('.refresh')).toHaveLength(0);
    expect(box.querySelectorAll('.refund-failure')).toHaveLength(0);
    page.onUnload();
  });

  test('fully refunded: 已退款 ¥x, nothing more to ask; a pending order shows no refund card', async () => {
    let current = order('REFUNDED', { paidAt: 1, refundedFen: 2980, refunds: [refund({ amountFen: 2980, status: 'SUCCESS' })] });
    const first = await openResult(new FakeTransport().on('queryOrder', () => ok({ order: current })));
    const box = refunds(first.comp);
    expect(text(first.comp, '#status-text')).toBe('已退款');
    expect(text(box, '#refunded')).toBe('已退款 ¥29.80');
    expect(box.querySelector('#open-request')).toBeFalsy();
    first.page.onUnload();

    checkout.reset();
    current = order('PENDING');
    const second = await openResult(new FakeTransport().on('queryOrder', () => ok({ order: current })));
    expect(refunds(second.comp).querySelector('#refunds')).toBeFalsy();
    second.page.onUnload();
  });

  test('an automatic refund of a payment that arrived after closing says so', async () => {
    const { comp, page } = await openResult(
      new FakeTransport().on('queryOrder', () =>
        ok({ order: order('CLOSED', { closeReason: 'EXPIRED', refundedFen: 2980, refunds: [refund({ amountFen: 2980, status: 'SUCCESS', requestedBy: 'auto' })] }) }),
      ),
    );
    const box = refunds(comp);
    expect(texts(box, '.refund-text')).toEqual(['已退款 ¥29.80']);
    expect(box.dom!.textContent).toContain('订单关闭后收到的付款，已自动原路退回');
    expect(box.querySelector('#open-request')).toBeFalsy();
    page.onUnload();
  });
});

describe('my orders: refund tags and the merchant entry', () => {
  function openOrders(checkoutFake: FakeTransport, staff: boolean | 'broken') {
    const s = new FakeMerchant(checkoutFake);
    if (staff === 'broken') s.failNext('whoami', 'LOST');
    else s.staff = staff;
    setTransport(s);
    const comp = mount(simulate.render(ordersId));
    (comp.instance as unknown as { onShow(): void }).onShow();
    return { comp, s };
  }

  const list = () =>
    new FakeTransport().on('listOrders', () =>
      ok({
        orders: [
          order('PAID', { orderId: 'a', refundRequest: { reason: 'x', requestedAt: 1, status: 'OPEN' } }),
          order('PAID', { orderId: 'b', refundedFen: 980, refunds: [refund({ amountFen: 980, status: 'SUCCESS' })] }),
          order('PAID', { orderId: 'c' }),
        ],
      }),
    );

  test('rows tag open requests and partial refunds; staff see 商家管理, which opens the merchant pages', async () => {
    const navigate = jest.fn();
    wxStub.navigateTo = navigate as unknown as AnyFn;
    const { comp, s } = openOrders(list(), true);
    await settle();
    expect(texts(comp, '.refund-tag')).toEqual(['退款审核中', '已退款 ¥9.80']);
    expect(comp.querySelector('#merchant-entry')).toBeTruthy();
    comp.querySelector('#merchant-entry')!.dispatchEvent('tap');
    await settle();
    expect(navigate).toHaveBeenCalledWith({ url: '/merchant/orders/index' });
    // whoami is asked once per launch, not on every show.
    (comp.instance as unknown as { onShow(): void }).onShow();
    await settle();
    expect(s.callsOf('whoami')).toHaveLength(1);
  });

  test('no entry for a payer, nor when whoami fails (e.g. the merchant function is not deployed)', async () => {
    const payer = openOrders(list(), false);
    await settle();
    expect(payer.comp.querySelector('#merchant-entry')).toBeFalsy();
    expect(payer.comp.querySelectorAll('.order')).toHaveLength(3);

    staffRole.reset();
    const broken = openOrders(list(), 'broken');
    await settle();
    expect(broken.comp.querySelector('#merchant-entry')).toBeFalsy();
    expect(broken.comp.querySelectorAll('.order')).toHaveLength(3);
  });
});
