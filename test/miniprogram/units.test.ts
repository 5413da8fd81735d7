/** @jest-environment jsdom */
import { storage } from './setup';
import { formatFen, formatYuan } from '../../miniprogram/utils/money';
import { ApiError, call, setTransport } from '../../miniprogram/services/api';
import { httpTransport } from '../../miniprogram/services/http-transport';
import { outcomeOfFailure, requestPayment } from '../../miniprogram/pay/services/payment';
import { payjsReturnHint } from '../../miniprogram/pay/services/payjs';
import { dispatchReturn, onReturnFrom } from '../../miniprogram/services/app-return';
import { transportFailureText } from '../../miniprogram/services/api';
import { chooseMode } from '../../miniprogram/services/mode';
import { config } from '../../miniprogram/config';
import { CART_STORAGE_KEY, CartStore } from '../../miniprogram/stores/cart';
import { FakeTransport, fail, ok } from './fake-transport';
import { payment } from './fixtures';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn> }).wx;

describe('money', () => {
  test('formats fen with integer math', () => {
    expect(formatFen(0)).toBe('0.00');
    expect(formatFen(5)).toBe('0.05');
    expect(formatFen(980)).toBe('9.80');
    expect(formatFen(123456789)).toBe('1234567.89');
    expect(formatFen(-1999)).toBe('-19.99');
    expect(formatYuan(1990)).toBe('¥19.90');
  });
  test('refuses non-integers', () => {
    expect(() => formatFen(9.8)).toThrow(TypeError);
    expect(() => formatFen(Number.NaN)).toThrow(TypeError);
  });
});

describe('cart store', () => {
  const tea = { skuId: 'tea', name: '绿茶', priceFen: 1990, stock: 3 };
  const cup = { skuId: 'cup', name: '茶杯', priceFen: 990, stock: 1 };

  test('adds within stock, bounds quantity to 1..stock, totals in fen, persists and restores', () => {
    const c = new CartStore();
    c.restore();
    expect(c.add(tea)).toBe(true);
    expect(c.add(cup)).toBe(true);
    expect(c.add(cup)).toBe(false); // stock 1
    expect(c.setQuantity('tea', 3)).toBe(true);
    expect(c.setQuantity('tea', 4)).toBe(false);
    expect(c.setQuantity('tea', 0)).toBe(false);
    expect(c.setQuantity('tea', 1.5)).toBe(false);
    expect(c.totalFen).toBe(1990 * 3 + 990);
    expect(c.totalText).toBe('69.60');
    expect(c.orderLines).toEqual([{ skuId: 'tea', quantity: 3 }, { skuId: 'cup', quantity: 1 }]);

    const again = new CartStore();
    again.restore();
    expect(again.items).toEqual(c.items);
    again.remove('tea');
    expect(again.count).toBe(1);
  });

  test('drops malformed saved lines', () => {
    storage.set(CART_STORAGE_KEY, [{ skuId: 'x', name: 'X', priceFen: 9.8, stock: 1, quantity: 1 }, { skuId: 'y' }, tea && { ...tea, quantity: 2 }]);
    const c = new CartStore();
    c.restore();
    expect(c.items.map((i) => i.skuId)).toEqual(['tea']);
  });
});

describe('api client', () => {
  test('returns data, turns {ok:false} into ApiError and transport failures into NETWORK', async () => {
    setTransport(new FakeTransport().on('listProducts', () => ok({ products: [], payMethods: [] })).on('queryOrder', () => fail('NOT_FOUND', '订单不存在')));
    await expect(call<'listProducts'>({ action: 'listProducts' })).resolves.toEqual({ products: [], payMethods: [] });
    const notFound = await call<'queryOrder'>({ action: 'queryOrder', orderId: 'x' }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ApiError);
    expect(notFound).toMatchObject({ code: 'NOT_FOUND', message: '订单不存在' });

    setTransport({ call: () => Promise.reject({ errMsg: 'cloud.callFunction:fail timeout' }) });
    await expect(call<'listOrders'>({ action: 'listOrders' })).rejects.toMatchObject({ code: 'NETWORK' });
    setTransport({ call: () => Promise.resolve('<html>') });
    await expect(call<'listOrders'>({ action: 'listOrders' })).rejects.toMatchObject({ code: 'NETWORK' });
  });

  test('the HTTP transport POSTs JSON to /api/<name> with the local openid header', async () => {
    const requests: Array<Record<string, unknown>> = [];
    wxStub.request = ((o: { success: (r: unknown) => void } & Record<string, unknown>) => {
      requests.push(o);
      o.success({ statusCode: 200, data: { ok: true, data: { orders: [] } } });
    }) as unknown as AnyFn;
    setTransport(httpTransport('http://127.0.0.1:8787', 'local-openid'));
    await expect(call<'listOrders'>({ action: 'listOrders' })).resolves.toEqual({ orders: [] });
    expect(requests[0]).toMatchObject({
      url: 'http://127.0.0.1:8787/api/checkout',
      method: 'POST',
      data: { action: 'listOrders' },
      header: { 'X-WX-OPENID': 'local-openid' },
    });

    wxStub.request = ((o: { success: (r: unknown) => void }) => o.success({ statusCode: 401, data: 'unauthorized' })) as unknown as AnyFn;
    await expect(call<'listOrders'>({ action: 'listOrders' })).rejects.toMatchObject({ code: 'NETWORK' });
  });
});

describe('payment service', () => {
  test('classifies requestPayment failures', () => {
    expect(outcomeOfFailure('requestPayment:fail cancel')).toEqual({ kind: 'cancel' });
    expect(outcomeOfFailure('requestPayment:fail (detail message)')).toMatchObject({ kind: 'fail' });
  });

  test('local mode asks 模拟支付 and posts the params and outcome to the emulator', async () => {
    const posts: Array<Record<string, unknown>> = [];
    wxStub.request = ((o: { success: (r: unknown) => void } & Record<string, unknown>) => {
      posts.push(o);
      o.success({ statusCode: 200, data: { delivered: true } });
    }) as unknown as AnyFn;
    const requestPaymentSpy = jest.fn();
    wxStub.requestPayment = requestPaymentSpy;
    config.mode = 'local';
    try {
      for (const [tapIndex, outcome, kind] of [[0, 'pay', 'ok'], [1, 'cancel', 'cancel'], [2, 'fail', 'fail']] as const) {
        wxStub.showActionSheet = ((o: { itemList: string[]; success: (r: unknown) => void }) => {
          expect(o.itemList).toEqual(['支付成功', '取消支付', '支付失败']);
          o.success({ tapIndex });
        }) as unknown as AnyFn;
        await expect(requestPayment(payment)).resolves.toMatchObject({ kind });
        expect(posts[posts.length - 1]).toMatchObject({
          url: `${config.localBaseUrl}/sandbox/api/wxpay/request-payment`,
          method: 'POST',
          data: { params: payment, outcome },
        });
      }
    } finally {
      config.mode = 'cloud';
    }
    expect(requestPaymentSpy).not.toHaveBeenCalled();
  });
});

describe('returns from other mini-programs', () => {
  const referrerInfo = { appId: 'wx959c8c1fb2d877b5', extraData: { success: true, resultCode: 'SUCCESS', msg: 'ok', payjsOrderId: 'P1' } };

  test('a return reaches only the handler of its appId, and only on scene 1038', () => {
    const payjs = jest.fn();
    const other = jest.fn();
    onReturnFrom('wx959c8c1fb2d877b5', payjs);
    onReturnFrom('wx1183b055aeec94d1', other);
    expect(dispatchReturn({ scene: 1038, referrerInfo })).toBe(true);
    expect(payjs).toHaveBeenCalledWith(referrerInfo.extraData);
    expect(other).not.toHaveBeenCalled();
    expect(dispatchReturn({ scene: 1001, referrerInfo })).toBe(false);
    expect(dispatchReturn({ scene: 1038, referrerInfo: { ...referrerInfo, appId: 'wx0000000000000000' } })).toBe(false);
    expect(dispatchReturn({ scene: 1038 })).toBe(false);
    expect(dispatchReturn(undefined)).toBe(false);
    expect(payjs).toHaveBeenCalledTimes(1);
    dispatchReturn({ scene: 1038, referrerInfo: { appId: 'wx1183b055aeec94d1', extraData: 'not an object' } });
    expect(other).toHaveBeenCalledWith({});
  });

  test('a return before its handler registers waits for it, and reaches it once (the latest one)', () => {
    const appId = 'wx00000000000000a1';
    expect(dispatchReturn({ scene: 1038, referrerInfo: { appId, extraData: { n: 1 } } })).toBe(false);
    expect(dispatchReturn({ scene: 1038, referrerInfo: { appId, extraData: { n: 2 } } })).toBe(false);
    const late = jest.fn();
    onReturnFrom(appId, late);
    expect(late).toHaveBeenCalledTimes(1);
    expect(late).toHaveBeenCalledWith({ n: 2 });
    onReturnFrom(appId, late);
    expect(late).toHaveBeenCalledTimes(1);
    expect(dispatchReturn({ scene: 1038, referrerInfo: { appId, extraData: { n: 3 } } })).toBe(true);
    expect(late).toHaveBeenLastCalledWith({ n: 3 });
  });

  test('PAYJS hint keeps only the documented fields with their types', () => {
    expect(payjsReturnHint(referrerInfo.extraData)).toEqual(referrerInfo.extraData);
    expect(payjsReturnHint({ success: 'yes', payjsOrderId: 7, extra: 1 })).toEqual({});
  });
});

describe('cart.syncWithCatalog', () => {
  const product = (skuId: string, priceFen: number, stock: number) => ({ skuId, name: skuId.toUpperCase(), priceFen, stock });

  test('takes today\'s names, prices and stock, drops what is gone, cuts quantities to stock, and saves', () => {
    const c = new CartStore();
    c.add(product('tea', 1990, 5));
    c.add(product('tea', 1990, 5));
    c.add(product('tea', 1990, 5));
    c.add(product('cup', 990, 3));
    c.add(product('gone', 100, 3));
    expect(c.syncWithCatalog([product('tea', 2190, 2), product('cup', 990, 3), product('soldout', 1, 0)])).toBe(true);
    expect(c.items).toEqual([
      { skuId: 'tea', name: 'TEA', priceFen: 2190, stock: 2, quantity: 2 },
      { skuId: 'cup', name: 'CUP', priceFen: 990, stock: 3, quantity: 1 },
    ]);
    expect(c.totalFen).toBe(2 * 2190 + 990);
    expect(storage.get(CART_STORAGE_KEY)).toEqual(c.items);
    expect(c.syncWithCatalog([product('tea', 2190, 2), product('cup', 990, 3)])).toBe(false);
  });
});

describe('what a failed call tells the payer', () => {
  test('no raw errMsg; a missing environment or function is not called a network problem', () => {
    expect(transportFailureText('cloud.callFunction:fail -501000 [ResourceNotFound] Environment not found')).toBe('云开发环境不可用，请检查小程序的云开发配置');
    expect(transportFailureText('cloud.callFunction:fail -404011 cloud function execution error: FUNCTION_NOT_FOUND')).toBe('服务尚未部署，请稍后重试或联系商家');
    expect(transportFailureText('cloud.callFunction:fail timeout')).toBe('请求超时，请稍后重试');
    expect(transportFailureText('request:fail')).toBe('网络异常，请稍后重试');
  });

  test('the mode at launch: a launch query wins, the tourist AppID falls back to local', () => {
    expect(chooseMode('cloud', undefined, 'wx123')).toEqual({ mode: 'cloud', reason: '' });
    expect(chooseMode('cloud', {}, 'touristappid')).toMatchObject({ mode: 'local', reason: expect.stringContaining('touristappid') });
    expect(chooseMode('cloud', { mode: 'local' }, 'wx123')).toMatchObject({ mode: 'local', reason: 'launch query mode=local' });
    expect(chooseMode('local', { mode: 'cloud' }, 'touristappid')).toMatchObject({ mode: 'cloud' });
    expect(chooseMode('local', { mode: 'bogus' }, 'wx123')).toEqual({ mode: 'local', reason: '' });
  });
});
