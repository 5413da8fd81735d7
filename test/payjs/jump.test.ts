import { AppError } from '../../cloudfunctions/common/errors';
import { ConfigError, type PayjsConfig } from '../../cloudfunctions/common/config';
import { buildPayjsJump, truncateChars } from '../../cloudfunctions/common/payjs/jump';
import { payjsReferenceSign } from '../helpers/forge-payjs';

const config: PayjsConfig = { mchid: '1230000109', key: 'k3yK3yk3yK3yk3yK', apiBase: 'http://127.0.0.1:1', notifyUrl: 'https://shop.example/payjs/notify' };
const order = { outTradeNo: 'ORD20240501A1', amountFen: 980, description: '咖啡豆 x2' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof AppError ? e.code : 'NOT_APP_ERROR';
  }
  return undefined;
}

describe('buildPayjsJump', () => {
  it('builds the navigateToMiniProgram target with every documented field, signed', () => {
    const jump = buildPayjsJump(config, { ...order, attach: 'order:42' }, 'fixednonce');
    expect(jump.appId).toBe('wx959c8c1fb2d877b5');
    expect(jump.path).toBe('pages/pay');
    const { sign, ...unsigned } = jump.extraData;
    expect(unsigned).toEqual({
      mchid: '1230000109',
      total_fee: 980,
      out_trade_no: 'ORD20240501A1',
      body: '咖啡豆 x2',
      notify_url: 'https://shop.example/payjs/notify',
      attach: 'order:42',
      nonce: 'fixednonce',
    });
    expect(sign).toBe(payjsReferenceSign(unsigned, config.key));
  });

  it('keeps total_fee an integer number and leaves attach out when absent or empty', () => {
    for (const attach of [undefined, '']) {
      const { extraData } = buildPayjsJump(config, { ...order, attach });
      expect(Number.isInteger(extraData.total_fee)).toBe(true);
      expect('attach' in extraData).toBe(false);
      expect(extraData.sign).toBe(payjsReferenceSign({ ...extraData }, config.key));
    }
  });

  it('draws a fresh 32-hex nonce for each jump', () => {
    const a = buildPayjsJump(config, order).extraData.nonce;
    const b = buildPayjsJump(config, order).extraData.nonce;
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it('truncates a long Chinese body to 32 characters', () => {
    const long = '精品阿拉比卡咖啡豆中度烘焙意式拼配五百克装两袋组合加赠手冲滤纸一百张';
    expect(Array.from(long).length).toBeGreaterThan(32);
    const { body } = buildPayjsJump(config, { ...order, description: long }).extraData;
    expect(body).toBe(Array.from(long).slice(0, 32).join(''));
    expect(Array.from(body).length).toBe(32);
  });

  it('does not split a surrogate pair at the cut', () => {
    const s = 'a'.repeat(31) + '😀😀';
    const cut = truncateChars(s, 32);
    expect(cut).toBe('a'.repeat(31) + '😀');
    expect(cut.length).toBe(33); // 31 + one pair: a UTF-16 cut at 32 would have left half an emoji
    expect(buildPayjsJump(config, { ...order, description: s }).extraData.body).toBe(cut);
  });

  it('leaves a 32-character body alone', () => {
    const s = '中'.repeat(32);
    expect(buildPayjsJump(config, { ...order, description: s }).extraData.body).toBe(s);
  });

  it('refuses amounts that are not whole fen above 0', () => {
    for (const amountFen of [0, -1, 9.8, Number.NaN, Infinity, 2 ** 53]) {
      expect(codeOf(() => buildPayjsJump(config, { ...order, amountFen }))).toBe('INVALID_ARGUMENT');
    }
    expect(codeOf(() => buildPayjsJump(config, { ...order, amountFen: '980' as unknown as number }))).toBe('INVALID_ARGUMENT');
  });

  it('checks out_trade_no: 32 characters pass, 33 or odd characters do not', () => {
    expect(codeOf(() => buildPayjsJump(config, { ...order, outTradeNo: 'A'.repeat(32) }))).toBeUndefined();
    for (const outTradeNo of ['A'.repeat(33), '', 'ORD 1', '订单1']) {
      expect(codeOf(() => buildPayjsJump(config, { ...order, outTradeNo }))).toBe('INVALID_ARGUMENT');
    }
  });

  it('checks attach: 128 characters pass, 129 do not', () => {
    expect(codeOf(() => buildPayjsJump(config, { ...order, attach: '附'.repeat(128) }))).toBeUndefined();
    expect(codeOf(() => buildPayjsJump(config, { ...order, attach: 'x'.repeat(129) }))).toBe('INVALID_ARGUMENT');
  });

  it('refuses an empty description and an empty or oversized nonce', () => {
    expect(codeOf(() => buildPayjsJump(config, { ...order, description: '   ' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => buildPayjsJump(config, order, ''))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => buildPayjsJump(config, order, 'n'.repeat(129)))).toBe('INVALID_ARGUMENT');
  });

  it('names the variable when the notify URL is too long for PAYJS', () => {
    const long = { ...config, notifyUrl: 'https://shop.example/' + 'p'.repeat(240) };
    expect(() => buildPayjsJump(long, order)).toThrow(ConfigError);
  });
});
