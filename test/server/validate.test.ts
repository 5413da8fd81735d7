import { parseEvent } from '../../cloudfunctions/checkout/src/validate';
import { AppError } from '../../cloudfunctions/common/errors';

function rejects(event: unknown): string {
  try {
    parseEvent(event);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('INVALID_ARGUMENT');
    return (e as AppError).message;
  }
  throw new Error(`accepted ${JSON.stringify(event)}`);
}

describe('parseEvent', () => {
  it.each([
    [null],
    ['listProducts'],
    [[]],
    [{}],
    [{ action: 'refund' }],
    [{ action: 'createOrder' }],
    [{ action: 'createOrder', items: [] }],
    [{ action: 'createOrder', items: {} }],
    [{ action: 'createOrder', items: [null] }],
    [{ action: 'createOrder', items: [{ skuId: 'a', quantity: 0 }] }],
    [{ action: 'createOrder', items: [{ skuId: 'a', quantity: 1.5 }] }],
    [{ action: 'createOrder', items: [{ skuId: 'a', quantity: '2' }] }],
    [{ action: 'createOrder', items: [{ skuId: 'a', quantity: 100 }] }],
    [{ action: 'createOrder', items: [{ skuId: 'a', quantity: 60 }, { skuId: 'a', quantity: 60 }] }],
    [{ action: 'createOrder', items: [{ skuId: '', quantity: 1 }] }],
    [{ action: 'createOrder', items: [{ skuId: 'a/../b', quantity: 1 }] }],
    [{ action: 'createOrder', items: [{ skuId: { $gt: '' }, quantity: 1 }] }],
    [{ action: 'createOrder', items: Array.from({ length: 51 }, (_, i) => ({ skuId: `s${i}`, quantity: 1 })) }],
    [{ action: 'createOrder', items: [{ skuId: 'a', quantity: 1 }], requestId: 'x'.repeat(65) }],
    [{ action: 'pay', orderId: 'o1' }],
    [{ action: 'pay', orderId: 'o1', method: 'alipay' }],
    [{ action: 'pay', method: 'wechat' }],
    [{ action: 'pay', orderId: { $ne: null }, method: 'wechat' }],
    [{ action: 'queryOrder' }],
    [{ action: 'queryOrder', orderId: 'o1', payjsOrderId: 7 }],
    [{ action: 'cancelOrder', orderId: 42 }],
  ])('rejects %j with INVALID_ARGUMENT', (event) => {
    expect(rejects(event).length).toBeGreaterThan(10);
  });

  it('names the offending field', () => {
    expect(rejects({ action: 'createOrder', items: [{ skuId: 'a', quantity: 1 }, { skuId: 'b', quantity: -1 }] })).toContain('items[1].quantity');
    expect(rejects({ action: 'pay', orderId: 'o1', method: 'cash' })).toContain('method');
  });

  it('merges repeated lines and never carries a client price', () => {
    const e = parseEvent({ action: 'createOrder', items: [{ skuId: 'a', quantity: 2, priceFen: 1 }, { skuId: 'b', quantity: 1 }, { skuId: 'a', quantity: 3 }], amountFen: 1 });
    expect(e).toEqual({ action: 'createOrder', items: [{ skuId: 'a', quantity: 5 }, { skuId: 'b', quantity: 1 }] });
  });

  it('ignores the platform-added userInfo and an openid in the event', () => {
    expect(parseEvent({ action: 'listOrders', userInfo: { openId: 'x' }, openid: 'someone-else' })).toEqual({ action: 'listOrders' });
  });
});
