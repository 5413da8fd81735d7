/** @jest-environment jsdom */
import jsQR from 'jsqr';
import { getAppOptions, loadPage, mount, settle, simulate, until } from './setup';
import { setTransport } from '../../miniprogram/services/api';
import { checkout } from '../../miniprogram/pay/stores/checkout';
import { FakeTransport, ok } from './fake-transport';
import { FAST_POLL, order } from './fixtures';
import type { PayjsJump, QueryOrderEvent } from '../../typings/checkout';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn> }).wx;

interface PageMethods {
  onLoad(q: Record<string, string>): void;
  onShow(): void;
  onHide(): void;
  onUnload(): void;
  onReady(): void;
}

const payjs: PayjsJump = {
  appId: 'wx959c8c1fb2d877b5',
  path: 'pages/pay',
  extraData: { mchid: 'm1', total_fee: 2980, out_trade_no: 'T1', body: '绿茶', notify_url: 'https://example.com/n', nonce: 'n', sign: 'ABC' },
};

let resultId: string;
let scanId: string;
beforeAll(() => {
  require('../../miniprogram/app');
  resultId = loadPage('pay/result/index');
  scanId = loadPage('pay/scan/index');
});
beforeEach(() => {
  checkout.reset();
  checkout.pollPolicy = FAST_POLL;
});

function open(id: string) {
  const comp = mount(simulate.render(id));
  return { comp, page: comp.instance as unknown as PageMethods };
}

describe('result page', () => {
  test('opened from the list: shows the order; pay again and cancel on a pending order', async () => {
    let status: 'PENDING' | 'CLOSED' = 'PENDING';
    const t = new FakeTransport()
      .on('queryOrder', () => ok({ order: order(status, status === 'CLOSED' ? { closeReason: 'CANCELLED' } : {}) }))
      .on('cancelOrder', () => {
        status = 'CLOSED';
        return ok({ order: order('CLOSED', { closeReason: 'CANCELLED' }) });
      });
    setTransport(t);
    wxStub.showModal = (() => Promise.resolve({ confirm: true, cancel: false })) as unknown as AnyFn;
    const { comp, page } = open(resultId);
    page.onLoad({ orderId: 'o1' });
    page.onShow();
    await settle();
    expect(comp.querySelector('#status-text')!.dom.textContent).toBe('待支付');
    expect(comp.querySelector('#amount')!.dom.textContent).toBe('¥29.80');
    expect(comp.querySelector('#pay-again')).toBeTruthy();
    comp.querySelector('#cancel')!.dispatchEvent('tap');
    await settle(6);
    expect(t.callsOf('cancelOrder')).toHaveLength(1);
    expect(comp.querySelector('#cancelled')!.dom.textContent).toBe('订单已取消');
    expect(comp.querySelector('#pay-again')).toBeFalsy();
    page.onUnload();
  });

  test('expired order shows expired', async () => {
    setTransport(new FakeTransport().on('queryOrder', () => ok({ order: order('CLOSED', { closeReason: 'EXPIRED' }) })));
    const { comp, page } = open(resultId);
    page.onLoad({ orderId: 'o1' });
    await settle();
    expect(comp.querySelector('#expired')).toBeTruthy();
    page.onUnload();
  });

  test('live status while confirming; hide stops polling, show resumes it', async () => {
    let paid = false;
    const t = new FakeTransport().on('queryOrder', () => ok({ order: paid ? order('PAID') : order('PENDING') }));
    setTransport(t);
    const { comp, page } = open(resultId);
    page.onLoad({ orderId: 'o1' });
    await settle();
    void checkout.confirm();
    page.onShow();
    await settle();
    expect(comp.querySelector('#confirming')!.dom.textContent).toBe('支付确认中');
    page.onHide();
    await settle();
    const n = t.callsOf('queryOrder').length;
    await new Promise((r) => setTimeout(r, 60));
    expect(t.callsOf('queryOrder')).toHaveLength(n);
    paid = true;
    page.onShow();
    await until(() => checkout.phase === 'paid');
    await settle();
    expect(comp.querySelector('#paid')!.dom.textContent).toBe('支付成功');
    page.onUnload();
  });
});

describe('PAYJS', () => {
  async function jumpedToPayjs(t: FakeTransport) {
    t.on('createOrder', () => ok({ order: order() })).on('pay', () => ok({ method: 'payjs', order: order(), payjs }));
    setTransport(t);
    const jump = jest.fn((o: { success: () => void }) => o.success());
    wxStub.navigateToMiniProgram = jump as unknown as AnyFn;
    await checkout.submit([{ skuId: 'tea', quantity: 1 }], 'payjs');
    const { comp, page } = open(resultId);
    page.onLoad({ orderId: 'o1' });
    page.onShow();
    await settle();
    comp.querySelector('#jump-payjs')!.dispatchEvent('tap');
    await settle();
    expect(jump.mock.calls[0][0]).toMatchObject({ appId: 'wx959c8c1fb2d877b5', path: 'pages/pay', extraData: payjs.extraData });
    page.onHide(); // the PAYJS mini-program is in front now
    return { comp, page };
  }

  const back = (extraData: object, appId = 'wx959c8c1fb2d877b5') =>
    (getAppOptions().onShow as (o: object) => void)({ scene: 1038, path: 'pages/catalog/index', referrerInfo: { appId, extraData } });

  test('on return the page polls queryOrder with the payjsOrderId hint until the server says PAID', async () => {
    let queries = 0;
    const t = new FakeTransport().on('queryOrder', () => ok({ order: ++queries >= 3 ? order('PAID') : order('PENDING') }));
    const { comp, page } = await jumpedToPayjs(t);
    expect(checkout.phase).toBe('paying');
    back({ success: true, resultCode: 'SUCCESS', msg: '支付成功', payjsOrderId: 'PJ123' });
    expect(checkout.phase).toBe('paying'); // the jump result alone never marks paid
    page.onShow();
    await until(() => checkout.phase === 'paid');
    await settle();
    expect((t.callsOf('queryOrder') as QueryOrderEvent[]).every((e) => e.payjsOrderId === 'PJ123')).toBe(true);
    expect(comp.querySelector('#paid')).toBeTruthy();
    page.onUnload();
  });

  test('page onShow may run before app onShow: polling picks the hint up later', async () => {
    const t = new FakeTransport().on('queryOrder', (e) => ok({ order: e.payjsOrderId ? order('PAID') : order('PENDING') }));
    const { page } = await jumpedToPayjs(t);
    page.onShow();
    await settle();
    back({ success: true, payjsOrderId: 'PJ9' });
    await until(() => checkout.phase === 'paid');
    page.onUnload();
  });

  test('back without paying: a clear message and a "我已支付，重新查询" button', async () => {
    let paid = false;
    const t = new FakeTransport().on('queryOrder', () => ok({ order: paid ? order('PAID') : order('PENDING') }));
    const { comp, page } = await jumpedToPayjs(t);
    back({ success: false, resultCode: 'CANCEL', msg: '用户取消' });
    page.onShow();
    await until(() => !checkout.polling && t.callsOf('queryOrder').length > 0);
    await settle();
    expect(checkout.phase).toBe('confirming');
    expect(comp.querySelector('#notice')!.dom.textContent).toContain('尚未完成支付（用户取消）');
    const requery = comp.querySelector('#requery')!;
    expect(requery.dom.textContent).toBe('我已支付，重新查询');
    paid = true;
    requery.dispatchEvent('tap');
    await until(() => checkout.phase === 'paid');
    page.onUnload();
  });

  test('app onShow ignores other appIds and scenes', () => {
    checkout.recordPayjsReturn({ payjsOrderId: 'keep' });
    back({ success: true, payjsOrderId: 'evil' }, 'wx1234567890abcdef');
    (getAppOptions().onShow as (o: object) => void)({ scene: 1001, referrerInfo: { appId: 'wx959c8c1fb2d877b5', extraData: { payjsOrderId: 'x' } } });
    expect(checkout.payjsHint).toEqual({ payjsOrderId: 'keep' });
  });
});

describe('scan page', () => {
  /** A legacy canvas context that records what weapp-qrcode draws. */
  function recordingContext() {
    const rects: Array<{ x: number; y: number; w: number; h: number; fill: string }> = [];
    let fill = '#000000';
    return {
      rects,
      setFillStyle(c: string) {
        fill = c;
      },
      fillRect(x: number, y: number, w: number, h: number) {
        rects.push({ x, y, w, h, fill });
      },
      drawImage() {},
      draw(_reserve?: boolean, cb?: () => void) {
        cb?.();
      },
    };
  }

  /** Paints the recorded rectangles (with a quiet zone) into RGBA pixels and decodes them. */
  function decode(rects: ReturnType<typeof recordingContext>['rects'], size: number): string | null {
    const margin = 16;
    const side = size + 2 * margin;
    const pixels = new Uint8ClampedArray(side * side * 4).fill(255);
    for (const r of rects) {
      const v = r.fill === '#000000' ? 0 : 255;
      for (let y = r.y; y < Math.min(r.y + r.h, size); y++) {
        for (let x = r.x; x < Math.min(r.x + r.w, size); x++) {
          const i = ((y + margin) * side + (x + margin)) * 4;
          pixels[i] = pixels[i + 1] = pixels[i + 2] = v;
        }
      }
    }
    return jsQR(pixels, side, side)?.data ?? null;
  }

  test('draws the code_url after layout (decoded back with jsQR) and leaves for the result page once paid', async () => {
    const codeUrl = 'weixin://wxpay/bizpayurl?pr=Nat1ve8';
    let paid = false;
    setTransport(
      new FakeTransport()
        .on('createOrder', () => ok({ order: order() }))
        .on('pay', () => ok({ method: 'native', order: order(), codeUrl }))
        .on('queryOrder', () => ok({ order: paid ? order('PAID') : order('PENDING') })),
    );
    await checkout.submit([{ skuId: 'tea', quantity: 1 }], 'native');

    const ctx = recordingContext();
    const canvasIds: unknown[] = [];
    wxStub.createCanvasContext = ((id: string, owner: unknown) => {
      canvasIds.push(id, owner);
      return ctx;
    }) as unknown as AnyFn;
    const redirect = jest.fn();
    wxStub.redirectTo = redirect;

    const { comp, page } = open(scanId);
    page.onShow();
    page.onReady();
    expect(canvasIds[0]).toBe('pay-qr');
    expect(canvasIds[1]).toBe(comp.instance);
    expect(ctx.rects.length).toBeGreaterThan(400);
    expect(decode(ctx.rects, comp.data.qrSize)).toBe(codeUrl);

    await settle();
    expect(comp.querySelector('#amount')!.dom.textContent).toBe('¥29.80');
    expect(checkout.polling).toBe(true);
    paid = true;
    await until(() => redirect.mock.calls.length > 0);
    expect(redirect.mock.calls[0][0]).toEqual({ url: '/pay/result/index?orderId=o1' });
    page.onUnload();
  });
});

describe('result page → my orders', () => {
  const g = globalThis as unknown as { getCurrentPages: () => Array<{ route: string }> };
  const original = g.getCurrentPages;
  afterEach(() => {
    g.getCurrentPages = original;
  });

  test.each([
    ['opened from my orders: goes back to it', ['pages/orders/index', 'pay/result/index'], 'back'],
    ['opened after paying: replaces itself with the list', ['pages/cart/index', 'pay/result/index'], 'redirect'],
  ])('%s', async (_title, stack, expected) => {
    const calls: string[] = [];
    wxStub.navigateBack = (() => calls.push('back')) as unknown as AnyFn;
    wxStub.redirectTo = (() => calls.push('redirect')) as unknown as AnyFn;
    g.getCurrentPages = () => stack.map((route) => ({ route }));
    const { comp } = open(resultId);
    comp.querySelector('#go-orders')!.dispatchEvent('tap');
    await settle();
    expect(calls).toEqual([expected]);
  });
});

describe('result page, order not loadable', () => {
  test('shows 加载失败 (not a payment failure) and loads again on 重试', async () => {
    let calls = 0;
    setTransport(
      new FakeTransport().on('queryOrder', () => {
        if (++calls === 1) throw new Error('request:fail timeout');
        return ok({ order: order('PAID') });
      }),
    );
    checkout.reset();
    const { comp, page } = open(resultId);
    page.onLoad({ orderId: 'o1' });
    await settle();
    expect(comp.querySelector('#load-failed')).toBeTruthy();
    expect(comp.querySelector('#failed')).toBeFalsy();
    comp.querySelector('#retry-load')!.dispatchEvent('tap');
    await until(() => checkout.phase === 'paid');
    await settle();
    expect(comp.querySelector('#paid')).toBeTruthy();
    expect(comp.querySelector('#retry-load')).toBeFalsy();
  });
});
