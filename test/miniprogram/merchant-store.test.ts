/** @jest-environment jsdom */
import './setup';
import { setTransport } from '../../miniprogram/services/api';
import { MerchantStore, PAGE_SIZE } from '../../miniprogram/merchant/store';
import { StaffRole } from '../../miniprogram/services/staff-role';
import { FakeMerchant, merchantOrder, refund } from './merchant-fake';

function server(...orders: ReturnType<typeof merchantOrder>[]): FakeMerchant {
  const s = new FakeMerchant().add(...orders);
  setTransport(s);
  return s;
}

describe('role', () => {
  test('whoami once per launch; concurrent checks share one call', async () => {
    const s = server();
    const m = new StaffRole();
    const [a, b] = await Promise.all([m.check(), m.check()]);
    expect([a, b]).toEqual([true, true]);
    await m.check();
    expect(s.callsOf('whoami')).toHaveLength(1);
    expect(m.isMerchant).toBe(true);
  });

  test('not staff: false; a failed whoami shows nothing and is asked again next time', async () => {
    const s = server();
    s.staff = false;
    expect(await new StaffRole().check()).toBe(false);
    s.staff = true;
    s.failNext('whoami', 'LOST');
    const m = new StaffRole();
    expect(await m.check()).toBe(false);
    expect(m.isMerchant).toBeNull();
    expect(await m.check()).toBe(true);
    expect(s.callsOf('whoami')).toHaveLength(3);
  });
});

describe('list', () => {
  const requested = merchantOrder('PAID', { orderId: 'req', createdAt: 3, refundRequest: { reason: '坏了', requestedAt: 4, status: 'OPEN' } });
  const paid = merchantOrder('PAID', { orderId: 'paid', createdAt: 2 });
  const refunded = merchantOrder('REFUNDED', { orderId: 'ref', createdAt: 1, refundedFen: 2980, refunds: [refund({ status: 'SUCCESS', amountFen: 2980 })] });

  test('opens on open refund requests; each filter sends its query', async () => {
    const s = server(requested, paid, refunded);
    const m = new MerchantStore();
    await m.reload();
    expect(s.callsOf('listOrders')[0]).toEqual({ action: 'listOrders', refund: 'REQUESTED', limit: PAGE_SIZE });
    expect(m.listItems.map((i) => [i.orderId, i.tag])).toEqual([['req', '退款审核中']]);
    expect(m.listItems[0].payer).toBe('oPay…0001');
    await m.setFilter('paid');
    expect(s.callsOf('listOrders')[1]).toEqual({ action: 'listOrders', status: 'PAID', limit: PAGE_SIZE });
    expect(m.orders.map((o) => o.orderId)).toEqual(['req', 'paid']);
    await m.setFilter('all');
    expect(s.callsOf('listOrders')[2]).toEqual({ action: 'listOrders', limit: PAGE_SIZE });
    expect(m.listItems.map((i) => i.statusText)).toEqual(['已支付', '已支付', '已退款']);
  });

  test('an answer for a filter no longer chosen is dropped', async () => {
    const s = server(requested, paid);
    const m = new MerchantStore();
    const release = s.hold('listOrders');
    const first = m.reload(); // REQUESTED, held
    const second = m.setFilter('all');
    release();
    await Promise.all([first, second]);
    expect(m.filter).toBe('all');
    expect(m.orders.map((o) => o.orderId)).toEqual(['req', 'paid']);
  });

  test('pages with the cursor until the end', async () => {
    const many = Array.from({ length: PAGE_SIZE + 5 }, (_, i) => merchantOrder('PAID', { orderId: `o${i}`, createdAt: 1000 - i }));
    const s = server(...many);
    const m = new MerchantStore();
    await m.setFilter('all');
    expect(m.orders).toHaveLength(PAGE_SIZE);
    expect(m.hasMore).toBe(true);
    await m.loadMore();
    expect(s.callsOf('listOrders')[1]).toEqual({ action: 'listOrders', limit: PAGE_SIZE, cursor: String(PAGE_SIZE) });
    expect(m.orders.map((o) => o.orderId)).toEqual(many.map((o) => o.orderId));
    expect(m.hasMore).toBe(false);
    await m.loadMore();
    expect(s.callsOf('listOrders')).toHaveLength(2);
  });

  test('FORBIDDEN: says so', async () => {
    const s = server(paid);
    s.staff = false;
    const m = new MerchantStore();
    await m.reload();
    expect(m.listState).toBe('error');
    expect(m.listError).toBe('没有商家权限');
  });
});

describe('refund form', () => {
  async function formFor(o = merchantOrder('PAID')) {
    const s = server(o);
    const m = new MerchantStore();
    await m.setFilter('all');
    await m.startRefundForm(o.orderId);
    return { s, m };
  }

  test('defaults to what is left (refunds not CLOSED count), and refuses bad amounts without a call', async () => {
    const { s, m } = await formFor(
      merchantOrder('PAID', { refunds: [refund({ refundId: 'x', amountFen: 1000, status: 'SUCCESS' }), refund({ refundId: 'y', amountFen: 500, status: 'CLOSED' })], refundedFen: 1000 }),
    );
    expect(m.form!.amountText).toBe('19.80');
    for (const [text, message] of [
      ['19.81', '最多可退 ¥19.80'],
      ['0', '退款金额至少 ¥0.01'],
      ['1.005', '金额最多两位小数'],
      ['1,000', '请输入数字金额，如 12.50'],
      ['', '请输入金额'],
      ['-1', '金额不能为负数'],
    ]) {
      m.editRefundForm({ amountText: text });
      expect(await m.submitRefund()).toBe(false);
      expect(m.refundError).toBe(message);
    }
    expect(s.callsOf('refund')).toHaveLength(0);
  });

  test('the form reads the order again, so its default is what is left now', async () => {
    const s = server(merchantOrder('PAID'));
    const m = new MerchantStore();
    await m.openOrder('o1');
    s.orders.get('o1')!.refunds = [refund({ refundId: 'elsewhere', amountFen: 1000 })];
    await m.startRefundForm('o1');
    expect(m.form!.amountText).toBe('19.80');
  });

  test('a refund in fen, with its reason; the detail and the list row show it', async () => {
    const { s, m } = await formFor();
    m.editRefundForm({ amountText: '9.80', reason: ' 缺货 ' });
    expect(await m.submitRefund()).toBe(true);
    expect(s.callsOf('refund')[0]).toMatchObject({ action: 'refund', orderId: 'o1', amountFen: 980, reason: '缺货' });
    expect(s.callsOf('refund')[0].requestId).toMatch(/^[A-Za-z0-9]{1,64}$/);
    expect(m.refunds!.refunds.map((r) => r.text)).toEqual(['退款中 ¥9.80']);
    expect(m.detail!.leftText).toBe('20.00');
    expect(m.listItems[0].tag).toBe('退款中');
    expect(m.form!.submitted).toBe(true);
    expect(await m.submitRefund()).toBe(false); // the form is done
    expect(s.allRefunds()).toHaveLength(1);
  });

  test('a reason over 80 UTF-8 bytes is refused before anything is sent (WeChat Pay counts bytes)', async () => {
    const { s, m } = await formFor();
    m.editRefundForm({ amountText: '1', reason: '缺'.repeat(27) });
    expect(await m.submitRefund()).toBe(false);
    expect(m.refundError).toContain('80 字节');
    expect(s.callsOf('refund')).toHaveLength(0);
    m.editRefundForm({ reason: `${'缺'.repeat(26)}ok` });
    expect(await m.submitRefund()).toBe(true);
  });

  test('a double tap sends one request', async () => {
    const { s, m } = await formFor();
    const release = s.hold('refund');
    const a = m.submitRefund();
    const b = m.submitRefund();
    release();
    expect(await Promise.all([a, b])).toEqual([true, true]);
    expect(s.callsOf('refund')).toHaveLength(1);
  });

  test('an answer lost after the server refunded: the retry reuses the requestId and gets the same refund', async () => {
    const { s, m } = await formFor();
    m.editRefundForm({ amountText: '5' });
    s.failNext('refund', 'LOST');
    expect(await m.submitRefund()).toBe(false);
    expect(m.refundError).toContain('不会重复退款');
    expect(m.form!.retrying).toBe(true);
    expect(await m.submitRefund()).toBe(true);
    const [first, retry] = s.callsOf('refund');
    expect(retry.requestId).toBe(first.requestId);
    expect(s.allRefunds()).toHaveLength(1);
    expect(m.refunds!.refunds).toHaveLength(1);
  });

  test('a provider hiccup, then the form opened again: still the same requestId', async () => {
    const { s, m } = await formFor();
    s.failNext('refund', 'PROVIDER_ERROR');
    expect(await m.submitRefund()).toBe(false);
    await m.startRefundForm('o1');
    expect(m.form!.retrying).toBe(true);
    expect(await m.submitRefund()).toBe(true);
    const [first, retry] = s.callsOf('refund');
    expect(retry.requestId).toBe(first.requestId);
  });

  test('lost, then the amount changed: the server refuses the reused requestId, the order is read again, no second refund', async () => {
    const { s, m } = await formFor();
    m.editRefundForm({ amountText: '5' });
    s.failNext('refund', 'LOST');
    await m.submitRefund();
    m.editRefundForm({ amountText: '6' });
    expect(await m.submitRefund()).toBe(false);
    expect(m.refundError).toBe('上次提交的退款可能已受理，请核对退款记录后再操作');
    expect(s.allRefunds().map((r) => r.amountFen)).toEqual([500]);
    expect(m.refunds!.refunds.map((r) => r.text)).toEqual(['退款中 ¥5.00']);
    expect(m.form!.retrying).toBe(false);
  });

  test('a definitive refusal ends the submission: the next one gets a new requestId', async () => {
    const { s, m } = await formFor();
    s.failNext('refund', 'REFUND_UNAVAILABLE');
    expect(await m.submitRefund()).toBe(false);
    // Staff are told what to do, not to "contact the merchant".
    expect(m.refundError).toBe('该订单无法在线退款（PAYJS 只能全额退款；v2 需配置 API 证书），请改为全额或在商户平台处理');
    expect(await m.submitRefund()).toBe(true);
    const [first, second] = s.callsOf('refund');
    expect(second.requestId).not.toBe(first.requestId);
  });

  test('the server has the last word on what is left (a refund made elsewhere meanwhile)', async () => {
    const { s, m } = await formFor();
    s.orders.get('o1')!.refunds = [refund({ refundId: 'elsewhere', amountFen: 2000 })];
    expect(await m.submitRefund()).toBe(false); // the form still says 29.80
    expect(m.refundError).toBe('退款金额超过可退金额');
    expect(s.allRefunds()).toHaveLength(1);
  });
});

describe('detail: refreshing refunds and resolving requests', () => {
  const withRequest = () =>
    merchantOrder('PAID', { refundRequest: { reason: '不想要了', requestedAt: 5, status: 'OPEN' }, refunds: [refund({ refundId: 'r0', amountFen: 980, status: 'SUCCESS' })], refundedFen: 980 });

  test('queryRefund brings a refund to its final state; the order reaches REFUNDED', async () => {
    const s = server(merchantOrder('PAID', { amountFen: 500, refunds: [refund({ refundId: 'r1', amountFen: 500, status: 'ABNORMAL' })] }));
    const m = new MerchantStore();
    await m.openOrder('o1');
    expect(m.refunds!.refunds[0].text).toBe('退款异常 ¥5.00');
    s.providerStatus.set('r1', 'SUCCESS');
    await m.refreshRefund('r1');
    expect(s.callsOf('queryRefund')[0]).toEqual({ action: 'queryRefund', orderId: 'o1', refundId: 'r1' });
    expect(m.refunds!.refunds[0].text).toBe('已退款 ¥5.00');
    expect(m.detail!.statusText).toBe('已退款');
    expect(m.detail!.canRefund).toBe(false);
  });

  test('openOrder for the same order while one runs joins it', async () => {
    const s = server(withRequest());
    const m = new MerchantStore();
    await Promise.all([m.openOrder('o1'), m.openOrder('o1')]);
    expect(s.callsOf('getOrder')).toHaveLength(1);
  });

  test('approve: the amount left by default, sent explicitly, with the note', async () => {
    const s = server(withRequest());
    const m = new MerchantStore();
    await m.openOrder('o1');
    expect(m.detail!.canResolve).toBe(true);
    expect(await m.resolveRequest(true, ' 已同意 ')).toBe(true);
    expect(s.callsOf('resolveRefundRequest')[0]).toEqual({ action: 'resolveRefundRequest', orderId: 'o1', approve: true, amountFen: 2000, note: '已同意' });
    expect(m.refunds!.request!.statusText).toBe('退款申请已同意');
    expect(m.refunds!.refunds[0].text).toBe('退款中 ¥20.00');
    expect(m.detail!.canResolve).toBe(false);
    expect(await m.resolveRequest(true, '')).toBe(false); // no longer open
    expect(s.callsOf('resolveRefundRequest')).toHaveLength(1);
  });

  test('approve a typed amount; bad amounts and a reject without a note are refused before any call', async () => {
    const s = server(withRequest());
    const m = new MerchantStore();
    await m.openOrder('o1');
    expect(await m.resolveRequest(true, '', '20.01')).toBe(false);
    expect(m.actionError).toBe('最多可退 ¥20.00');
    expect(await m.resolveRequest(true, '', '1.005')).toBe(false);
    expect(await m.resolveRequest(false, '  ')).toBe(false);
    expect(m.actionError).toBe('拒绝时请填写说明，付款人会看到');
    expect(await m.resolveRequest(false, 'x'.repeat(201))).toBe(false);
    expect(s.callsOf('resolveRefundRequest')).toHaveLength(0);
    expect(await m.resolveRequest(true, '', '10')).toBe(true);
    expect(s.callsOf('resolveRefundRequest')[0]).toMatchObject({ approve: true, amountFen: 1000 });
  });

  test('reject with a note', async () => {
    const s = server(withRequest());
    const m = new MerchantStore();
    await m.openOrder('o1');
    expect(await m.resolveRequest(false, '商品已使用')).toBe(true);
    expect(s.callsOf('resolveRefundRequest')[0]).toEqual({ action: 'resolveRefundRequest', orderId: 'o1', approve: false, note: '商品已使用' });
    expect(m.refunds!.request).toMatchObject({ statusText: '退款申请已拒绝', note: '商品已使用' });
    expect(s.allRefunds()).toHaveLength(1);
  });

  test('a request answered meanwhile on another device: refused, and the page shows how it was answered', async () => {
    const s = server(withRequest());
    const m = new MerchantStore();
    await m.openOrder('o1');
    s.orders.get('o1')!.refundRequest = { reason: '不想要了', requestedAt: 5, status: 'REJECTED', note: '已发货' };
    expect(await m.resolveRequest(true, '')).toBe(false);
    expect(m.actionError).toBe('该退款申请已处理');
    expect(m.detail!.canResolve).toBe(false);
    expect(m.refunds!.request).toMatchObject({ statusText: '退款申请已拒绝', note: '已发货' });
    expect(s.allRefunds()).toHaveLength(1);
  });

  test('an approval whose answer is lost: the order is read again and shows it done, so it is not approved twice', async () => {
    const s = server(withRequest());
    const m = new MerchantStore();
    await m.openOrder('o1');
    s.failNext('resolveRefundRequest', 'LOST');
    expect(await m.resolveRequest(true, '')).toBe(false);
    expect(m.actionError).toContain('请求超时');
    expect(s.callsOf('getOrder')).toHaveLength(2);
    expect(m.detail!.canResolve).toBe(false);
    expect(m.refunds!.request!.statusText).toBe('退款申请已同意');
  });
});
