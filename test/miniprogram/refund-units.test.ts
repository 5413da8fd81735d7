/** @jest-environment jsdom */
import './setup';
import { formatFen, parseYuan } from '../../miniprogram/utils/money';
import { refundableFen, refundsView, refundTag } from '../../miniprogram/utils/refund-view';
import { textError } from '../../miniprogram/services/refunds';
import { requestRefund } from '../../miniprogram/pay/services/refund-request';
import { ApiError, errorMessage, setTransport } from '../../miniprogram/services/api';
import { callMerchant } from '../../miniprogram/services/merchant-api';
import { httpTransport } from '../../miniprogram/services/http-transport';
import { cloudTransport } from '../../miniprogram/services/cloud-transport';
import { FakeTransport, fail, ok } from './fake-transport';
import { order } from './fixtures';
import { refund } from './merchant-fake';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, unknown> }).wx;

describe('parseYuan: yuan text to integer fen without floats', () => {
  test.each([
    ['0.1', 10],
    ['9.80', 980],
    ['9.8', 980],
    ['12', 1200],
    ['0.07', 7],
    ['.5', 50],
    ['5.', 500],
    [' 7.05 ', 705],
    ['0', 0],
    ['0.00', 0],
    ['00012.30', 1230],
    ['1.10', 110],
    ['0.29', 29], // 0.29 * 100 is 28.999999999999996 as a float
    ['1.15', 115], // 1.15 * 100 is 114.99999999999999 as a float
    ['9999999999.99', 999999999999],
  ])('%j → %d fen', (text, fen) => {
    expect(parseYuan(text)).toEqual({ ok: true, fen });
  });

  test.each([
    ['1.005', '金额最多两位小数'],
    ['1.000', '金额最多两位小数'],
    ['1,000', '请输入数字金额，如 12.50'],
    ['1,5', '请输入数字金额，如 12.50'],
    ['', '请输入金额'],
    ['   ', '请输入金额'],
    ['-1', '金额不能为负数'],
    ['-0.01', '金额不能为负数'],
    ['－3', '金额不能为负数'],
    ['+1', '请输入数字金额，如 12.50'],
    ['1e3', '请输入数字金额，如 12.50'],
    ['¥12', '请输入数字金额，如 12.50'],
    ['１２', '请输入数字金额，如 12.50'],
    ['12.3.4', '请输入数字金额，如 12.50'],
    ['.', '请输入数字金额，如 12.50'],
    ['abc', '请输入数字金额，如 12.50'],
    ['0x10', '请输入数字金额，如 12.50'],
    ['Infinity', '请输入数字金额，如 12.50'],
    ['1 000', '请输入数字金额，如 12.50'],
    ['12345678901', '金额过大'],
  ])('%j is refused: %s', (text, message) => {
    expect(parseYuan(text)).toEqual({ ok: false, message });
  });

  test('every amount formatFen writes parses back to the same fen', () => {
    const samples = [0, 1, 9, 10, 99, 100, 101, 980, 1999, 2980, 123456, 999999999999];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 10_000_000));
    const wrong = samples.filter((fen) => {
      const back = parseYuan(formatFen(fen));
      return !back.ok || back.fen !== fen;
    });
    expect(wrong).toEqual([]);
  });
});

describe('refund view', () => {
  const paid = order('PAID', {
    amountFen: 2980,
    refundedFen: 500,
    refunds: [
      refund({ refundId: 'a', amountFen: 500, status: 'SUCCESS', succeededAt: Date.UTC(2024, 4, 2) }),
      refund({ refundId: 'b', amountFen: 300, status: 'CLOSED' }),
      refund({ refundId: 'c', amountFen: 1000, status: 'PROCESSING', reason: '缺货' }),
      refund({ refundId: 'd', amountFen: 80, status: 'ABNORMAL' }),
    ],
  });

  test('what is left counts every refund not CLOSED (ABNORMAL is still owed)', () => {
    expect(refundableFen(paid)).toBe(2980 - 500 - 1000 - 80);
    expect(refundableFen({ ...paid, status: 'REFUNDED' })).toBe(0);
    expect(refundableFen(order('PENDING'))).toBe(0);
    expect(refundableFen(order('PAID'))).toBe(2980);
  });

  test('each refund state in words, newest first, with the total refunded', () => {
    const v = refundsView(paid)!;
    expect(v.refundedText).toBe('已退款 ¥5.00');
    expect(v.refunds.map((r) => r.text)).toEqual(['退款异常 ¥0.80', '退款中 ¥10.00', '退款关闭 ¥3.00', '已退款 ¥5.00']);
    expect(v.refunds.map((r) => r.open)).toEqual([true, true, false, false]);
    expect(v.refunds[1].reason).toBe('缺货');
    expect(v.canRequest).toBe(true);
  });

  test('the request: 审核中 blocks another, 已拒绝 shows the note and allows asking again', () => {
    const open = refundsView(order('PAID', { refundRequest: { reason: '不想要了', requestedAt: 1, status: 'OPEN' } }))!;
    expect(open.request).toMatchObject({ statusText: '退款申请审核中', reason: '不想要了', note: '' });
    expect(open.canRequest).toBe(false);
    const rejected = refundsView(order('PAID', { refundRequest: { reason: '不想要了', requestedAt: 1, status: 'REJECTED', note: '已发货' } }))!;
    expect(rejected.request).toMatchObject({ statusText: '退款申请已拒绝', note: '已发货' });
    expect(rejected.canRequest).toBe(true);
    expect(refundsView(order('PAID', { refundRequest: { reason: 'x', requestedAt: 1, status: 'APPROVED' } }))!.request!.statusText).toBe('退款申请已同意');
    expect(refundsView(order('REFUNDED', { refundedFen: 2980 }))!.canRequest).toBe(false);
    expect(refundsView(order('PENDING'))!.canRequest).toBe(false);
    expect(refundsView(null)).toBeNull();
  });

  test('a list tag says what needs attention first', () => {
    expect(refundTag(paid)).toBe('退款异常');
    expect(refundTag(order('PAID', { refundRequest: { reason: 'x', requestedAt: 1, status: 'OPEN' }, refunds: [refund()] }))).toBe('退款审核中');
    expect(refundTag(order('PAID', { refunds: [refund()] }))).toBe('退款中');
    expect(refundTag(order('PAID', { refunds: [refund({ status: 'SUCCESS' })], refundedFen: 500 }))).toBe('已退款 ¥5.00');
    expect(refundTag(order('REFUNDED', { refunds: [refund({ status: 'SUCCESS', amountFen: 2980 })], refundedFen: 2980 }))).toBe('');
    expect(refundTag(order('PAID'))).toBe('');
  });
});

describe('refund texts', () => {
  test('the reason is 1–80 characters as the server counts them, without control characters', () => {
    expect(textError('')).toBe('请填写退款原因');
    expect(textError('   ')).toBe('请填写退款原因');
    expect(textError('😀'.repeat(80))).toBe(''); // 80 characters, 160 UTF-16 units
    expect(textError('好'.repeat(81))).toBe('退款原因最多 80 个字');
    expect(textError('坏了\n换货')).toBe('退款原因不能包含换行等控制字符');
    expect(textError('x'.repeat(201), '说明', 200)).toBe('说明最多 200 个字');
  });

  test('requestRefund sends the trimmed reason; an already open request reads the order instead of failing', async () => {
    const withRequest = order('PAID', { refundRequest: { reason: '先前的', requestedAt: 1, status: 'OPEN' } });
    const t = new FakeTransport()
      .on('requestRefund', () => fail('REFUND_REQUEST_OPEN', 'open'))
      .on('queryOrder', () => ok({ order: withRequest }));
    setTransport(t);
    await expect(requestRefund('o1', '  不想要了 ')).resolves.toEqual(withRequest);
    expect(t.callsOf('requestRefund')[0]).toEqual({ action: 'requestRefund', orderId: 'o1', reason: '不想要了' });

    setTransport(new FakeTransport().on('requestRefund', () => fail('ORDER_NOT_PAID', 'no')));
    const err = await requestRefund('o1', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(errorMessage(err)).toBe('订单未支付，无法退款');
  });
});

describe('merchant API client', () => {
  test('local mode: POST /api/merchant with the local openid header; error codes become Chinese texts', async () => {
    const requests: Array<Record<string, unknown>> = [];
    wxStub.request = ((o: { success: (r: unknown) => void } & Record<string, unknown>) => {
      requests.push(o);
      const data = (o.data as { action: string }).action === 'whoami' ? { ok: true, data: { merchant: true } } : { ok: false, error: { code: 'FORBIDDEN', message: 'not staff' } };
      o.success({ statusCode: (o.data as { action: string }).action === 'whoami' ? 200 : 403, data });
    }) as unknown as AnyFn;
    setTransport(httpTransport('http://127.0.0.1:8787', 'local-openid-0001'));
    await expect(callMerchant<'whoami'>({ action: 'whoami' })).resolves.toEqual({ merchant: true });
    expect(requests[0]).toMatchObject({
      url: 'http://127.0.0.1:8787/api/merchant',
      method: 'POST',
      data: { action: 'whoami' },
      header: { 'X-WX-OPENID': 'local-openid-0001' },
    });
    const err = await callMerchant<'getOrder'>({ action: 'getOrder', orderId: 'o1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'FORBIDDEN' });
    expect(errorMessage(err)).toBe('没有商家权限');
    expect(errorMessage(new ApiError('REFUND_EXCEEDS_PAID', 'x'))).toBe('退款金额超过可退金额');
  });

  test('cloud mode: wx.cloud.callFunction({ name: "merchant" }); a failed call is NETWORK', async () => {
    const cloud = wxStub.cloud as { callFunction: unknown };
    const original = cloud.callFunction;
    const seen: unknown[] = [];
    cloud.callFunction = (o: unknown) => {
      seen.push(o);
      return seen.length === 1 ? Promise.resolve({ result: { ok: true, data: { merchant: false } } }) : Promise.reject({ errMsg: 'cloud.callFunction:fail -501000' });
    };
    try {
      setTransport(cloudTransport());
      await expect(callMerchant<'whoami'>({ action: 'whoami' })).resolves.toEqual({ merchant: false });
      expect(seen[0]).toEqual({ name: 'merchant', data: { action: 'whoami' } });
      await expect(callMerchant<'whoami'>({ action: 'whoami' })).rejects.toMatchObject({ code: 'NETWORK' });
    } finally {
      cloud.callFunction = original;
    }
  });
});
