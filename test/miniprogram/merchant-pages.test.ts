/** @jest-environment jsdom */
import { loadPage, mount, settle, simulate, until } from './setup';
import { setTransport } from '../../miniprogram/services/api';
import { merchant } from '../../miniprogram/merchant/store';
import { FakeMerchant, merchantOrder, refund } from './merchant-fake';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn> }).wx;

interface PageMethods {
  onLoad(q: Record<string, string>): void;
  onShow?(): void;
  onReachBottom(): void;
  onPullDownRefresh(): Promise<void>;
}

let ordersId: string;
let orderId: string;
let refundId: string;
beforeAll(() => {
  ordersId = loadPage('merchant/orders/index');
  orderId = loadPage('merchant/order/index');
  refundId = loadPage('merchant/refund/index');
});

let navigate: jest.Mock;
let modal: jest.Mock;
beforeEach(() => {
  merchant.reset();
  navigate = jest.fn();
  wxStub.navigateTo = navigate as unknown as AnyFn;
  modal = jest.fn(() => Promise.resolve({ confirm: true, cancel: false }));
  wxStub.showModal = modal as unknown as AnyFn;
});

/** Renders a page and drives it as WeChat does: onLoad, then onShow in the same tick. */
function open(id: string, query: Record<string, string> = {}) {
  const comp = mount(simulate.render(id));
  const page = comp.instance as unknown as PageMethods;
  page.onLoad(query);
  // A page without onShow is shown all the same.
  page.onShow?.();
  return { comp, page };
}

type Rendered = ReturnType<typeof simulate.render>;
const text = (comp: Rendered, sel: string) => comp.querySelector(sel)?.dom.textContent?.trim();
const texts = (comp: Rendered, sel: string) => comp.querySelectorAll(sel).map((n) => n.dom.textContent!.trim());
/** The order-refunds component inside a page (queries do not cross into a component). */
const refunds = (comp: Rendered) => comp.querySelector('.order-refunds')!;

const open1 = merchantOrder('PAID', { orderId: 'a', createdAt: 30, refundRequest: { reason: '尺码不合适', requestedAt: 31, status: 'OPEN' } });
const abnormal = merchantOrder('PAID', { orderId: 'b', createdAt: 20, refunds: [refund({ refundId: 'rb', status: 'ABNORMAL' })] });
const plain = merchantOrder('PAID', { orderId: 'c', createdAt: 10 });

describe('merchant orders page', () => {
  test('opens on open refund requests; the tabs filter; a row opens the order', async () => {
    const s = new FakeMerchant().add(open1, abnormal, plain);
    setTransport(s);
    const { comp } = open(ordersId);
    await settle();
    expect(s.callsOf('listOrders')).toHaveLength(1);
    expect(texts(comp, '.tab')).toEqual(['退款申请', '退款中', '退款异常', '待核对', '支付异常', '已支付', '已退款', '全部']);
    expect(texts(comp, '.tab.active')).toEqual(['退款申请']);
    expect(comp.querySelectorAll('.order')).toHaveLength(1);
    expect(texts(comp, '.tag')).toEqual(['退款审核中']);

    comp.querySelectorAll('.tab')[2].dispatchEvent('tap');
    await settle();
    expect(s.callsOf('listOrders')[1]).toMatchObject({ refund: 'ABNORMAL' });
    expect(texts(comp, '.tag')).toEqual(['退款异常']);
    comp.querySelectorAll('.tab')[1].dispatchEvent('tap');
    await settle();
    expect(text(comp, '#empty')).toBe('没有符合条件的订单');
    comp.querySelectorAll('.tab')[7].dispatchEvent('tap');
    await settle();
    expect(comp.querySelectorAll('.order')).toHaveLength(3);
    comp.querySelectorAll('.order')[2].dispatchEvent('tap');
    await settle();
    expect(navigate).toHaveBeenCalledWith({ url: '/merchant/order/index?orderId=c' });
  });

  test('加载更多 and reaching the bottom page with the cursor; only rendered fields are bound', async () => {
    const many = Array.from({ length: 45 }, (_, i) => merchantOrder('PAID', { orderId: `o${i}`, createdAt: 1000 - i }));
    const s = new FakeMerchant().add(...many);
    setTransport(s);
    await merchant.setFilter('all');
    const { comp, page } = open(ordersId);
    await settle();
    expect(comp.querySelectorAll('.order')).toHaveLength(20);
    comp.querySelector('#more')!.dispatchEvent('tap');
    await settle();
    page.onReachBottom();
    await settle();
    expect(comp.querySelectorAll('.order')).toHaveLength(45);
    expect(comp.querySelector('#more')).toBeFalsy();
    expect(s.callsOf('listOrders').map((c) => c.cursor)).toEqual([undefined, undefined, '20', '40']);
    // Rows carry what the template shows, not the orders (no items, openid in full, refunds...).
    expect(Object.keys(comp.data.items[0]).sort()).toEqual(['amountText', 'createdText', 'orderId', 'payer', 'status', 'statusText', 'tag', 'title']);
  });

  test('not staff: the page says so and offers 重试', async () => {
    const s = new FakeMerchant().add(plain);
    s.staff = false;
    setTransport(s);
    const { comp } = open(ordersId);
    await settle();
    expect(text(comp, '#error')).toBe('没有商家权限');
    s.staff = true;
    comp.querySelector('#retry')!.dispatchEvent('tap');
    await settle();
    expect(text(comp, '#empty')).toBe('没有符合条件的订单');
  });
});

const unverified = merchantOrder('PENDING', { orderId: 'u', createdAt: 40, needsReconciliation: { since: Date.UTC(2024, 4, 1, 4, 0), attempts: 3, cause: 'PROVIDER_REFUSED', providerCode: 'SYSTEMERROR' } });
const mismatched = merchantOrder('PENDING', {
  orderId: 'm',
  createdAt: 35,
  paymentAnomalies: [{ at: Date.UTC(2024, 4, 1, 4, 30), via: 'notify', state: 'SUCCESS', amountFen: 2981, mchid: '1900000109', transactionId: '4200000009' }],
});

describe('orders needing a person about their payment', () => {
  test('待核对 and 支付异常 tabs ask the server for them; rows carry the tag', async () => {
    const s = new FakeMerchant().add(unverified, mismatched, plain);
    setTransport(s);
    const { comp } = open(ordersId);
    await settle();
    comp.querySelectorAll('.tab')[3].dispatchEvent('tap');
    await settle();
    expect(s.callsOf('listOrders')[1]).toMatchObject({ attention: 'RECONCILE' });
    expect(texts(comp, '.tag')).toEqual(['待核对']);
    comp.querySelectorAll('.tab')[4].dispatchEvent('tap');
    await settle();
    expect(s.callsOf('listOrders')[2]).toMatchObject({ attention: 'ANOMALY' });
    expect(texts(comp, '.tag')).toEqual(['支付异常']);
  });

  test('the order page says why the payment is unconfirmed, and what each mismatched report said', async () => {
    const s = new FakeMerchant().add(unverified, mismatched);
    setTransport(s);
    const u = open(orderId, { orderId: 'u' }).comp;
    await settle();
    expect(text(u, '#reconcile')).toContain('3 次未能向支付平台确认');
    expect(text(u, '#reconcile')).toContain('支付平台拒绝了查询（SYSTEMERROR）');
    expect(u.querySelector('#anomalies')).toBeFalsy();
    merchant.reset();
    const m = open(orderId, { orderId: 'm' }).comp;
    await settle();
    expect(m.querySelector('#reconcile')).toBeFalsy();
    const lines = texts(m, '.anomaly');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('支付通知');
    expect(lines[0]).toContain(`金额 ¥29.81（订单 ¥${(mismatched.amountFen / 100).toFixed(2)}）`);
    expect(lines[0]).toContain('商户号 1900000109');
    expect(lines[0]).toContain('交易单号 4200000009');
  });
});

describe('merchant order page', () => {
  test('onLoad then onShow in the same tick read the order once; it shows the order, refunds and request', async () => {
    const s = new FakeMerchant().add(
      merchantOrder('PAID', {
        orderId: 'a',
        transactionId: '4200000001',
        refundRequest: { reason: '尺码不合适', requestedAt: 31, status: 'OPEN' },
        refunds: [
          refund({ refundId: 'r0', amountFen: 300, status: 'CLOSED', failure: '基本账户余额不足' }),
          refund({ refundId: 'r1', amountFen: 980, status: 'SUCCESS' }),
          refund({ refundId: 'r2', amountFen: 500, status: 'PROCESSING' }),
        ],
        refundedFen: 980,
      }),
    );
    setTransport(s);
    const { comp } = open(orderId, { orderId: 'a' });
    await settle();
    expect(s.callsOf('getOrder')).toHaveLength(1);
    expect(text(comp, '#out-trade-no')).toBe('T20240501000001');
    expect(text(comp, '#left')).toBe('¥15.00');
    expect(texts(refunds(comp), '.refund-text')).toEqual(['退款中 ¥5.00', '已退款 ¥9.80', '退款关闭 ¥3.00']);
    // Why the provider refused one: for staff only.
    expect(texts(refunds(comp), '.refund-failure')).toEqual(['未受理：基本账户余额不足']);
    expect(text(refunds(comp), '#refunded')).toBe('已退款 ¥9.80');
    expect(text(refunds(comp), '#request-status')).toBe('退款申请审核中');
    expect(text(refunds(comp), '#request-reason')).toBe('原因：尺码不合适');
    // Staff get no 申请退款 of their own, and 刷新 only on the refund not final.
    expect(refunds(comp).querySelector('#open-request')).toBeFalsy();
    expect(refunds(comp).querySelectorAll('.refresh')).toHaveLength(1);
    expect(comp.querySelector('#resolve')).toBeTruthy();
  });

  test('刷新 asks about that refund and shows its new state', async () => {
    const s = new FakeMerchant().add(merchantOrder('PAID', { orderId: 'a', refunds: [refund({ refundId: 'r2', amountFen: 500, status: 'PROCESSING' })] }));
    s.providerStatus.set('r2', 'SUCCESS');
    setTransport(s);
    const { comp } = open(orderId, { orderId: 'a' });
    await settle();
    refunds(comp).querySelector('.refresh')!.dispatchEvent('tap');
    await settle(6);
    expect(s.callsOf('queryRefund')[0]).toEqual({ action: 'queryRefund', orderId: 'a', refundId: 'r2' });
    expect(texts(refunds(comp), '.refund-text')).toEqual(['已退款 ¥5.00']);
    expect(refunds(comp).querySelector('.refresh')).toBeFalsy();
  });

  test('同意并退款 confirms the amount, then resolves; 拒绝 needs a note', async () => {
    const s = new FakeMerchant().add(merchantOrder('PAID', { orderId: 'a', refundRequest: { reason: '尺码不合适', requestedAt: 31, status: 'OPEN' } }));
    setTransport(s);
    const { comp } = open(orderId, { orderId: 'a' });
    await settle();
    comp.querySelector('#reject')!.dispatchEvent('tap');
    await settle();
    expect(text(comp, '#action-error')).toBe('拒绝时请填写说明，付款人会看到');
    expect(s.callsOf('resolveRefundRequest')).toHaveLength(0);

    comp.querySelector('#approve-amount')!.dispatchEvent('input', { detail: { value: '10.5' } });
    comp.querySelector('#note')!.dispatchEvent('input', { detail: { value: '同意部分退款' } });
    comp.querySelector('#approve')!.dispatchEvent('tap');
    await settle(6);
    expect(modal.mock.calls[0][0].content).toBe('将原路退款 ¥10.50 给付款人，确定吗？');
    expect(s.callsOf('resolveRefundRequest')[0]).toEqual({ action: 'resolveRefundRequest', orderId: 'a', approve: true, amountFen: 1050, note: '同意部分退款' });
    expect(text(refunds(comp), '#request-status')).toBe('退款申请已同意');
    expect(text(refunds(comp), '#request-note')).toBe('商家说明：同意部分退款');
    expect(texts(refunds(comp), '.refund-text')).toEqual(['退款中 ¥10.50']);
    expect(comp.querySelector('#resolve')).toBeFalsy();
  });

  test('cancelling the confirmation sends nothing', async () => {
    const s = new FakeMerchant().add(merchantOrder('PAID', { orderId: 'a', refundRequest: { reason: 'x', requestedAt: 31, status: 'OPEN' } }));
    setTransport(s);
    modal.mockImplementation(() => Promise.resolve({ confirm: false, cancel: true }));
    const { comp } = open(orderId, { orderId: 'a' });
    await settle();
    comp.querySelector('#approve')!.dispatchEvent('tap');
    await settle();
    expect(modal.mock.calls[0][0].content).toBe('将原路退款 ¥29.80 给付款人，确定吗？');
    expect(s.callsOf('resolveRefundRequest')).toHaveLength(0);
  });

  test('发起退款 opens the form; coming back reads the order again', async () => {
    const s = new FakeMerchant().add(merchantOrder('PAID', { orderId: 'a' }));
    setTransport(s);
    const { comp, page } = open(orderId, { orderId: 'a' });
    await settle();
    comp.querySelector('#refund')!.dispatchEvent('tap');
    await settle();
    expect(navigate).toHaveBeenCalledWith({ url: '/merchant/refund/index?orderId=a' });
    page.onShow!();
    await settle();
    expect(s.callsOf('getOrder')).toHaveLength(2);
  });

  test('an order that cannot be read offers 重试', async () => {
    const s = new FakeMerchant().add(merchantOrder('PAID', { orderId: 'a' }));
    s.failNext('getOrder', 'LOST');
    setTransport(s);
    const { comp } = open(orderId, { orderId: 'a' });
    await settle();
    expect(text(comp, '#error')).toContain('请求超时');
    comp.querySelector('#retry')!.dispatchEvent('tap');
    await settle();
    expect(text(comp, '#amount')).toBe('¥29.80');
  });
});

describe('merchant refund form page', () => {
  test('defaults to what is left; a bad amount is shown as typed and never sent', async () => {
    const s = new FakeMerchant().add(merchantOrder('PAID', { orderId: 'a', refunds: [refund({ amountFen: 980, status: 'SUCCESS' })], refundedFen: 980 }));
    setTransport(s);
    const { comp } = open(refundId, { orderId: 'a' });
    await settle(6);
    expect(text(comp, '#left')).toBe('¥20.00');
    expect(comp.data.form.amountText).toBe('20.00');
    expect(comp.querySelector('#whole-only')).toBeFalsy();
    comp.querySelector('#amount')!.dispatchEvent('input', { detail: { value: '1.005' } });
    await settle();
    expect(text(comp, '#amount-hint')).toBe('金额最多两位小数');
    comp.querySelector('#amount')!.dispatchEvent('input', { detail: { value: '20.01' } });
    await settle();
    expect(text(comp, '#amount-hint')).toBe('最多可退 ¥20.00');
    comp.querySelector('#submit')!.dispatchEvent('tap');
    await settle();
    expect(modal).not.toHaveBeenCalled();
    expect(text(comp, '#refund-error')).toBe('最多可退 ¥20.00');
    expect(s.callsOf('refund')).toHaveLength(0);
  });

  test('a confirmed refund goes once, even on a double tap, then returns to the order', async () => {
    const s = new FakeMerchant().add(merchantOrder('PAID', { orderId: 'a' }));
    setTransport(s);
    const back = jest.fn();
    wxStub.navigateBack = back as unknown as AnyFn;
    wxStub.showToast = jest.fn() as unknown as AnyFn;
    const { comp } = open(refundId, { orderId: 'a' });
    await settle(6);
    comp.querySelector('#amount')!.dispatchEvent('input', { detail: { value: '0.1' } });
    comp.querySelector('#reason')!.dispatchEvent('input', { detail: { value: '少发一件' } });
    const submit = comp.querySelector('#submit')!;
    submit.dispatchEvent('tap');
    submit.dispatchEvent('tap');
    await until(() => back.mock.calls.length > 0);
    await settle();
    expect(modal.mock.calls[0][0].content).toBe('将原路退款 ¥0.10 给付款人，确定吗？');
    expect(s.callsOf('refund')).toHaveLength(1);
    expect(s.callsOf('refund')[0]).toMatchObject({ orderId: 'a', amountFen: 10, reason: '少发一件' });
    expect(back).toHaveBeenCalledTimes(1);
    expect(text(comp, '#submit')).toBe('退款已提交');
  });

  test('a lost answer: the page says a retry is safe, and the retry reuses the requestId', async () => {
    const s = new FakeMerchant().add(merchantOrder('PAID', { orderId: 'a', payMethod: 'payjs' }));
    s.failNext('refund', 'LOST');
    setTransport(s);
    const back = jest.fn();
    wxStub.navigateBack = back as unknown as AnyFn;
    const { comp } = open(refundId, { orderId: 'a' });
    await settle(6);
    expect(text(comp, '#whole-only')).toBe('PAYJS 订单只能全额退款');
    comp.querySelector('#submit')!.dispatchEvent('tap');
    await until(() => comp.querySelector('#retrying') !== undefined && comp.querySelector('#retrying') !== null);
    expect(text(comp, '#refund-error')).toContain('不会重复退款');
    expect(text(comp, '#submit')).toBe('重新提交');
    comp.querySelector('#submit')!.dispatchEvent('tap');
    await until(() => back.mock.calls.length > 0);
    const [first, retry] = s.callsOf('refund');
    expect(retry.requestId).toBe(first.requestId);
    expect(retry.amountFen).toBe(2980);
    expect(s.allRefunds()).toHaveLength(1);
  });
});
