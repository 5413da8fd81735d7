import { parseFen } from '../../cloudfunctions/common/money';
import { truncateUtf8 } from '../../cloudfunctions/common/text';
import { parseCompactBeijing, parseRfc3339, toCompactBeijing, toRfc3339Beijing } from '../../cloudfunctions/common/time';
import { newOrderId, newOutTradeNo } from '../../cloudfunctions/common/orders/ids';
import { priceItems } from '../../cloudfunctions/common/orders/create';

describe('Beijing time formats', () => {
  const ms = Date.UTC(2015, 4, 20, 5, 29, 35); // 13:29:35 in Beijing
  it('formats v3 time_expire and v2 time_expire', () => {
    expect(toRfc3339Beijing(ms)).toBe('2015-05-20T13:29:35+08:00');
    expect(toCompactBeijing(ms)).toBe('20150520132935');
  });
  it('crosses midnight and the year in Beijing, not UTC', () => {
    const ny = Date.UTC(2025, 11, 31, 16, 0, 1);
    expect(toCompactBeijing(ny)).toBe('20260101000001');
  });
  it('parses both back', () => {
    expect(parseCompactBeijing('20150520132935')).toBe(ms);
    expect(parseRfc3339('2015-05-20T13:29:35+08:00')).toBe(ms);
    expect(parseCompactBeijing('2015-05-20')).toBeUndefined();
    // Not real dates: Date.UTC would roll them over silently.
    expect(parseCompactBeijing('20240230120000')).toBeUndefined();
    expect(parseCompactBeijing('20241301000000')).toBeUndefined();
    expect(parseCompactBeijing('20240229120000')).toBe(Date.UTC(2024, 1, 29, 4, 0, 0));
    expect(parseRfc3339('yesterday')).toBeUndefined();
  });
});

describe('truncateUtf8', () => {
  it('never splits a character', () => {
    expect(truncateUtf8('咖啡豆', 7)).toBe('咖啡');
    expect(Buffer.byteLength(truncateUtf8('马克杯'.repeat(50), 127))).toBeLessThanOrEqual(127);
    expect(truncateUtf8('abc', 10)).toBe('abc');
  });
});

describe('order numbers', () => {
  it('makes out_trade_no within WeChat Pay rules, distinct each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const no = newOutTradeNo(Date.now());
      expect(no).toMatch(/^[0-9A-Z]{26}$/);
      seen.add(no);
    }
    expect(seen.size).toBe(200);
  });
  it('derives the order id from (openid, requestId) so retries land on one order', () => {
    expect(newOrderId('u1', 'r1')).toBe(newOrderId('u1', 'r1'));
    expect(newOrderId('u1', 'r1')).not.toBe(newOrderId('u2', 'r1'));
    expect(newOrderId('u1')).not.toBe(newOrderId('u1'));
  });
});

describe('priceItems', () => {
  const catalog = new Map([
    ['a', { name: 'A', priceFen: 980 }],
    ['b', { name: 'B', priceFen: 1 }],
  ]);
  it('prices from the catalog in integer fen', () => {
    const { items, amountFen } = priceItems([{ skuId: 'a', quantity: 3 }, { skuId: 'b', quantity: 7 }], catalog);
    expect(amountFen).toBe(2947);
    expect(items[0]).toEqual({ skuId: 'a', name: 'A', priceFen: 980, quantity: 3, subtotalFen: 2940 });
  });
  it('refuses unknown products and absurd totals', () => {
    expect(() => priceItems([{ skuId: 'zz', quantity: 1 }], catalog)).toThrow(/zz/);
    const rich = new Map([['gold', { name: 'Gold', priceFen: 90_000_000 }]]);
    expect(() => priceItems([{ skuId: 'gold', quantity: 2 }], rich)).toThrow(/limit/);
  });
});

describe('parseFen', () => {
  it('takes whole positive fen only, from JSON numbers or digit strings', () => {
    expect(parseFen('980')).toBe(980);
    expect(parseFen(980)).toBe(980);
    for (const bad of ['9.80', '9.8', '0980', '-1', '1e3', ' 980', '', '0', 0, 9.8, -1, Number.MAX_SAFE_INTEGER + 2, null, undefined, '99999999999999999']) {
      expect(parseFen(bad)).toBeUndefined();
    }
  });
});
