/** @jest-environment jsdom */
import { until } from './setup';
import { setTransport } from '../../miniprogram/services/api';
import { CheckoutStore } from '../../miniprogram/pay/stores/checkout';
import { FakeTransport, fail, ok } from './fake-transport';
import { FAST_POLL, order, payment } from './fixtures';

type WxStub = { requestPayment: unknown; navigateToMiniProgram: unknown };
const wxStub = (globalThis as unknown as { wx: WxStub }).wx;

function succeedPayment() {
  const fn = jest.fn((o: { success: (r: unknown) => void }) => setTimeout(() => o.success({ errMsg: 'requestPayment:ok' }), 0));
  wxStub.requestPayment = fn;
  return fn;
}

function failPayment(errMsg: string) {
  wxStub.requestPayment = jest.fn((o: { fail: (r: unknown) => void }) => setTimeout(() => o.fail({ errMsg }), 0));
}

function store() {
  const s = new CheckoutStore();
  s.pollPolicy = FAST_POLL;
  return s;
}

const lines = [{ skuId: 'tea', quantity: 1 }, { skuId: 'cup', quantity: 1 }];

function paidAfter(n: number) {
  let queries = 0;
  return () => ok({ order: ++queries >= n ? order('PAID', { paidAt: 1 }) : order('PENDING') });
}

test('a double tap creates one order; success only starts confirmation; PAID from queryOrder ends polling', async () => {
  const t = new FakeTransport()
    .on('createOrder', () => ok({ order: order() }))
    .on('pay', () => ok({ method: 'wechat', order: order(), payment }))
    .on('queryOrder', paidAfter(3));
  setTransport(t);
  const pay = succeedPayment();
  const s = store();

  const first = s.submit(lines, 'wechat');
  const second = s.submit(lines, 'wechat');
  expect(second).toBe(first);
  await first;
  expect(t.callsOf('createOrder')).toHaveLength(1);
  expect(pay).toHaveBeenCalledTimes(1);
  expect(pay.mock.calls[0][0]).toMatchObject({ ...payment });
  expect(s.phase).toBe('confirming'); // requestPayment success is not "paid"

  await until(() => s.phase === 'paid');
  expect(s.polling).toBe(false);
  const queries = t.callsOf('queryOrder').length;
  expect(queries).toBe(3);
  await new Promise((r) => setTimeout(r, 60));
  expect(t.callsOf('queryOrder')).toHaveLength(queries); // stopped once PAID
});

test('a retry after a network failure reuses the same requestId', async () => {
  let attempt = 0;
  const t = new FakeTransport()
    .on('createOrder', () => {
      if (++attempt === 1) throw new Error('request:fail timeout');
      return ok({ order: order() });
    })
    .on('pay', () => ok({ method: 'wechat', order: order(), payment }))
    .on('queryOrder', () => ok({ order: order('PAID') }));
  setTransport(t);
  succeedPayment();
  const s = store();
  await s.submit(lines, 'wechat');
  expect(s.phase).toBe('failed');
  expect(s.errorMessage).toBe('请求超时，请稍后重试'); // a plain sentence, never the raw errMsg
  await s.submit(lines, 'wechat');
  const [a, b] = t.callsOf('createOrder') as Array<{ requestId?: string }>;
  expect(a.requestId).toBeTruthy();
  expect(b.requestId).toBe(a.requestId);
});

test('requestPayment:fail cancel is a normal outcome: cancelled, order still payable', async () => {
  setTransport(
    new FakeTransport()
      .on('createOrder', () => ok({ order: order() }))
      .on('pay', () => ok({ method: 'wechat', order: order(), payment })),
  );
  failPayment('requestPayment:fail cancel');
  const s = store();
  await s.submit(lines, 'wechat');
  expect(s.phase).toBe('cancelled');
  expect(s.errorMessage).toBe('');
  expect(s.canPayAgain).toBe(true);
});

test('a failed payment is failed with a plain sentence; WeChat\'s errMsg goes to the console', async () => {
  setTransport(
    new FakeTransport()
      .on('createOrder', () => ok({ order: order() }))
      .on('pay', () => ok({ method: 'wechat', order: order(), payment })),
  );
  failPayment('requestPayment:fail 余额不足');
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const s = store();
  await s.submit(lines, 'wechat');
  expect(s.phase).toBe('failed');
  expect(s.errorMessage).toBe('支付未完成，请重试');
  expect(warn.mock.calls.flat().join(' ')).toContain('余额不足');
  warn.mockRestore();
});

test('a server error is failed with the text for its code (the server message is for developers)', async () => {
  const t = new FakeTransport().on('createOrder', () => fail('OUT_OF_STOCK', 'Not enough stock for 绿茶.'));
  setTransport(t);
  const s = store();
  await s.submit(lines, 'wechat');
  expect(s.phase).toBe('failed');
  expect(s.errorMessage).toBe('库存不足，请调整购物车后再试');
  expect(s.order).toBeNull();
  expect(t.callsOf('pay')).toHaveLength(0);
});

test('an order that expires while confirming ends expired', async () => {
  setTransport(
    new FakeTransport()
      .on('createOrder', () => ok({ order: order() }))
      .on('pay', () => ok({ method: 'wechat', order: order(), payment }))
      .on('queryOrder', () => ok({ order: order('CLOSED', { closeReason: 'EXPIRED', closedAt: 2 }) })),
  );
  succeedPayment();
  const s = store();
  await s.submit(lines, 'wechat');
  await until(() => s.phase === 'expired');
  expect(s.statusText).toBe('已过期');
  expect(s.canPayAgain).toBe(false);
});

test('paying an order the server already closed shows it as expired', async () => {
  const s = store();
  // Opened from the list while still pending, then expired on the server.
  setTransport(new FakeTransport().on('queryOrder', () => ok({ order: order('PENDING') })));
  await s.open('o1');
  expect(s.canPayAgain).toBe(true);
  setTransport(
    new FakeTransport()
      .on('queryOrder', () => ok({ order: order('CLOSED', { closeReason: 'EXPIRED' }) }))
      .on('pay', () => fail('ORDER_CLOSED', '订单已关闭')),
  );
  await s.payAgain();
  expect(s.phase).toBe('expired');
});

test('stopPolling (page hide/unload) stops queries; polling is bounded in time', async () => {
  const t = new FakeTransport().on('queryOrder', () => ok({ order: order('PENDING') }));
  setTransport(t);
  const s = store();
  await s.open('o1');
  const confirming = s.confirm();
  await until(() => t.callsOf('queryOrder').length >= 3);
  s.stopPolling();
  await confirming;
  const n = t.callsOf('queryOrder').length;
  await new Promise((r) => setTimeout(r, 80));
  expect(t.callsOf('queryOrder')).toHaveLength(n);
  expect(s.polling).toBe(false);

  // Left alone, it gives up at the deadline and offers a manual re-query.
  s.pollPolicy = { firstDelayMs: 5, factor: 2, maxDelayMs: 10, deadlineMs: 60 };
  await s.confirm();
  expect(s.phase).toBe('confirming');
  expect(s.polling).toBe(false);
  expect(s.notice).toContain('重新查询');
});

test('native: pay yields the code url and confirming; PAYJS: the jump waits for a tap and never marks paid', async () => {
  setTransport(
    new FakeTransport()
      .on('createOrder', () => ok({ order: order() }))
      .on('pay', (e) =>
        e.method === 'native'
          ? ok({ method: 'native', order: order(), codeUrl: 'weixin://wxpay/bizpayurl?pr=abc' })
          : ok({
              method: 'payjs',
              order: order(),
              payjs: {
                appId: 'wx959c8c1fb2d877b5',
                path: 'pages/pay',
                extraData: { mchid: 'm', total_fee: 2980, out_trade_no: 'T1', body: 'b', notify_url: 'https://x/n', nonce: 'n', sign: 'S' },
              },
            }),
      ),
  );
  const s = store();
  await s.submit(lines, 'native');
  expect(s.phase).toBe('confirming');
  expect(s.codeUrl).toBe('weixin://wxpay/bizpayurl?pr=abc');

  const s2 = store();
  const jump = jest.fn((o: { success: () => void }) => setTimeout(() => o.success(), 0));
  wxStub.navigateToMiniProgram = jump;
  await s2.submit(lines, 'payjs');
  expect(jump).not.toHaveBeenCalled();
  expect(s2.payjsReady).toBe(true);
  await s2.jumpToPayjs();
  expect(jump.mock.calls[0][0]).toMatchObject({ appId: 'wx959c8c1fb2d877b5', path: 'pages/pay' });
  s2.recordPayjsReturn({ success: true, payjsOrderId: 'P1' });
  expect(s2.phase).toBe('paying'); // the hint alone changes nothing
});

test('scan-to-pay keeps asking past the usual deadline while the code can still be paid', async () => {
  let n = 0;
  const open = { expiresAt: Date.now() + 10 * 60_000 };
  const t = new FakeTransport()
    .on('createOrder', () => ok({ order: order('PENDING', open) }))
    .on('pay', () => ok({ method: 'native', order: order('PENDING', open), codeUrl: 'weixin://wxpay/bizpayurl?pr=abc' }))
    // Paid on the 6th query: well after the 60 ms deadline of this policy.
    .on('queryOrder', () => ok({ order: order(++n >= 6 ? 'PAID' : 'PENDING', open) }));
  setTransport(t);
  const s = store();
  s.pollPolicy = { firstDelayMs: 20, factor: 1, maxDelayMs: 20, deadlineMs: 60 };
  await s.submit([{ skuId: 'sku-1', quantity: 1 }], 'native');
  await s.confirm();
  expect(s.phase).toBe('paid');
  expect(n).toBe(6);
});

const payjsJump = {
  appId: 'wx959c8c1fb2d877b5' as const,
  path: 'pages/pay' as const,
  extraData: { mchid: 'm', total_fee: 2980, out_trade_no: 'T1', body: 'b', notify_url: 'https://x/n', nonce: 'n', sign: 'S' },
};

function payjsTransport(queryStatus: () => 'PENDING' | 'PAID' = () => 'PENDING') {
  return new FakeTransport()
    .on('createOrder', () => ok({ order: order() }))
    .on('pay', () => ok({ method: 'payjs', order: order('PENDING', { payMethod: 'payjs' }), payjs: payjsJump }))
    .on('queryOrder', () => ok({ order: order(queryStatus(), { payMethod: 'payjs' }) }));
}

test('PAYJS: declining WeChat\'s prompt to open PAYJS is no error and leaves the jump on offer', async () => {
  setTransport(payjsTransport());
  wxStub.navigateToMiniProgram = (o: { fail: (e: { errMsg: string }) => void }) => o.fail({ errMsg: 'navigateToMiniProgram:fail cancel' });
  const s = store();
  await s.submit(lines, 'payjs');
  await s.jumpToPayjs();
  expect(s.errorMessage).toBe('');
  expect(s.payjsJumped).toBe(false);
  expect(s.payjsReady).toBe(true);
});

test('PAYJS: back without paying, the server agreeing, offers paying again', async () => {
  const t = payjsTransport();
  setTransport(t);
  wxStub.navigateToMiniProgram = (o: { success: () => void }) => o.success();
  const s = store();
  await s.submit(lines, 'payjs');
  await s.jumpToPayjs();
  s.recordPayjsReturn({ success: false, msg: '用户取消', payjsOrderId: 'P1' });
  s.onPayingPageShow();
  await until(() => !s.polling && t.callsOf('queryOrder').length > 0);
  expect(s.backWithoutPaying).toBe(true);
  expect(s.canPayAgain).toBe(true);
  expect(s.notice).toContain('尚未完成支付');
});

test('PAYJS after a cold start: the recorded return makes the order page ask the server, with the hint', async () => {
  let status: 'PENDING' | 'PAID' = 'PENDING';
  const t = payjsTransport(() => status);
  setTransport(t);
  const s = store();
  s.recordPayjsReturn({ success: true, payjsOrderId: 'P123' });
  await s.open('o1');
  status = 'PAID';
  s.onPayingPageShow(); // what the result page's onShow does
  await until(() => s.phase === 'paid');
  expect(t.callsOf('queryOrder').at(-1)).toMatchObject({ orderId: 'o1', payjsOrderId: 'P123' });
});

test('scan-to-pay says it waits for the scan, not that it confirms a payment', async () => {
  const open = { expiresAt: Date.now() + 10 * 60_000 };
  setTransport(
    new FakeTransport()
      .on('createOrder', () => ok({ order: order('PENDING', open) }))
      .on('pay', () => ok({ method: 'native', order: order('PENDING', open), codeUrl: 'weixin://wxpay/bizpayurl?pr=abc' }))
      .on('queryOrder', () => ok({ order: order('PENDING', open) })),
  );
  const s = store();
  await s.submit(lines, 'native');
  void s.confirm();
  await until(() => s.polling);
  expect(s.notice).toBe('等待扫码支付…');
  s.stopPolling();
});
