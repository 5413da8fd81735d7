/** @jest-environment jsdom */
/**
 * The pay pages in the orders WeChat really delivers lifecycles and callbacks, not a convenient one:
 * onLoad then onShow in the same tick, App.onShow before or after the page's, and navigateToMiniProgram's
 * success before or after the page comes back. Each order must end the same way: the server asked, with
 * PAYJS's hint, and the page showing what it says.
 */
import { getAppOptions, loadPage, mount, recordSetData, settle, simulate, until } from './setup';
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
}

const payjs: PayjsJump = {
  appId: 'wx959c8c1fb2d877b5',
  path: 'pages/pay',
  extraData: { mchid: 'm1', total_fee: 2980, out_trade_no: 'T1', body: '绿茶', notify_url: 'https://example.com/n', nonce: 'n', sign: 'ABC' },
};
const pendingPayjs = () => order('PENDING', { payMethod: 'payjs' });

let resultId: string;
beforeAll(() => {
  require('../../miniprogram/app');
  resultId = loadPage('pay/result/index');
});
beforeEach(() => {
  checkout.reset();
  checkout.pollPolicy = FAST_POLL;
});

const appOnShow = (options: object) => (getAppOptions().onShow as (o: object) => void)(options);
const backFromPayjs = (payjsOrderId: string) =>
  appOnShow({ scene: 1038, path: 'pay/result/index', referrerInfo: { appId: payjs.appId, extraData: { success: true, resultCode: 'SUCCESS', msg: '支付成功', payjsOrderId } } });

function openResult() {
  const comp = mount(simulate.render(resultId));
  return { comp, page: comp.instance as unknown as PageMethods };
}

/** PAYJS paid; the server learns it when asked with PAYJS's order id (as `check` does). */
function payjsServer() {
  return new FakeTransport()
    .on('createOrder', () => ok({ order: order() }))
    .on('pay', () => ok({ method: 'payjs', order: pendingPayjs(), payjs }))
    .on('queryOrder', async (e) => {
      await new Promise((r) => setTimeout(r, 5)); // a real round trip: answers land after the page's onShow
      return ok({ order: e.payjsOrderId === 'PJ1' ? order('PAID', { payMethod: 'payjs' }) : pendingPayjs() });
    });
}

async function expectPaidWithHint(t: FakeTransport, comp: ReturnType<typeof openResult>['comp']) {
  await until(() => checkout.phase === 'paid');
  await settle();
  expect((t.callsOf('queryOrder') as QueryOrderEvent[]).some((e) => e.payjsOrderId === 'PJ1')).toBe(true);
  expect(comp.querySelector('#paid')!.dom.textContent).toBe('支付成功');
  expect(comp.querySelector('#pay-again')).toBeFalsy();
}

describe('cold start back from PAYJS: the result page opens the order while onShow has already run', () => {
  test.each([
    ['App.onShow before the page loads', 'before'],
    ["App.onShow after the page's onShow, while the order loads", 'loading'],
    ['App.onShow after the order loaded', 'loaded'],
  ] as const)('%s', async (_name, when) => {
    const t = payjsServer();
    setTransport(t);
    const { comp, page } = openResult();
    if (when === 'before') backFromPayjs('PJ1');
    // The framework calls onShow right after onLoad, without waiting for anything onLoad started.
    page.onLoad({ orderId: 'o1' });
    page.onShow();
    if (when === 'loading') backFromPayjs('PJ1');
    if (when === 'loaded') {
      await until(() => checkout.order !== null);
      await settle();
      expect(comp.querySelector('#status-text')!.dom.textContent).toBe('待支付');
      backFromPayjs('PJ1');
    }
    await expectPaidWithHint(t, comp);
    page.onUnload();
  });

  test('without a PAYJS return, opening a pending order asks once and offers paying again', async () => {
    const t = payjsServer();
    setTransport(t);
    const { comp, page } = openResult();
    page.onLoad({ orderId: 'o1' });
    page.onShow();
    await until(() => checkout.order !== null);
    await settle(8);
    expect(t.callsOf('queryOrder')).toHaveLength(1);
    expect(comp.querySelector('#pay-again')).toBeTruthy();
    page.onUnload();
  });
});

describe("navigateToMiniProgram's success may come after the return", () => {
  let deliverSuccess: () => void;

  async function payingPage() {
    const t = payjsServer();
    setTransport(t);
    wxStub.navigateToMiniProgram = ((o: { success: () => void }) => {
      deliverSuccess = o.success;
    }) as unknown as AnyFn;
    await checkout.submit([{ skuId: 'tea', quantity: 1 }], 'payjs');
    const { comp, page } = openResult();
    page.onLoad({ orderId: 'o1' });
    page.onShow();
    await settle();
    comp.querySelector('#jump-payjs')!.dispatchEvent('tap');
    await settle();
    return { t, comp, page };
  }

  test.each([
    ['before the page hides', ['success', 'hide', 'app', 'page']],
    ['after the page hides, before the return', ['hide', 'success', 'app', 'page']],
    ["after App.onShow, before the page's onShow", ['hide', 'app', 'success', 'page']],
    ['after App.onShow and the page onShow', ['hide', 'app', 'page', 'success']],
    ["after the page's onShow, App.onShow last", ['hide', 'page', 'success', 'app']],
  ] as const)('success %s', async (_name, steps) => {
    const { t, comp, page } = await payingPage();
    for (const step of steps) {
      if (step === 'success') deliverSuccess();
      if (step === 'hide') page.onHide();
      if (step === 'app') backFromPayjs('PJ1');
      if (step === 'page') page.onShow();
      await settle();
    }
    await expectPaidWithHint(t, comp);
    expect(checkout.payjsHint).toMatchObject({ payjsOrderId: 'PJ1' });
    page.onUnload();
  });

  test('while PAYJS is in front (page hidden), nothing is asked', async () => {
    const { t, page } = await payingPage();
    deliverSuccess();
    page.onHide();
    await settle(8);
    const asked = t.callsOf('queryOrder').length;
    await new Promise((r) => setTimeout(r, 50));
    expect(t.callsOf('queryOrder').length).toBe(asked);
    expect(checkout.polling).toBe(false);
    page.onUnload();
  });
});

describe('the result page binds only what it renders', () => {
  test('a poll answering the same pending order sends nothing; the PAID answer sends only what changed', async () => {
    let queries = 0;
    const t = new FakeTransport().on('queryOrder', () => ok({ order: ++queries >= 4 ? order('PAID') : order() }));
    setTransport(t);
    const { comp, page } = openResult();
    page.onLoad({ orderId: 'o1' });
    page.onShow();
    await until(() => checkout.order !== null);
    await settle();
    const payloads = recordSetData(comp);
    void checkout.confirm();
    await until(() => checkout.phase === 'paid');
    await settle();
    expect(queries).toBe(4);
    const keys = payloads.flatMap((p) => Object.keys(p));
    expect(keys).not.toContain('order');
    expect(keys).not.toContain('items'); // same lines on every answer: never re-sent
    const bytes = payloads.reduce((n, p) => n + JSON.stringify(p).length, 0);
    // Phase/polling/notice changes and the final status only: well under one copy of the order.
    expect(bytes).toBeLessThan(JSON.stringify(order()).length);
    expect(comp.querySelector('#paid')).toBeTruthy();
    expect(comp.querySelectorAll('.row').length).toBeGreaterThan(3);
    page.onUnload();
  });
});
