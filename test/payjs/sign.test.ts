import { createHash, randomBytes } from 'node:crypto';
import { Hash } from 'wechatpay-axios-plugin';
import { signPayjs, verifyPayjsSign } from '../../cloudfunctions/common/payjs/sign';
import { payjsReferenceSign } from '../helpers/forge-payjs';

const KEY = randomBytes(16).toString('hex');

/** A small seeded PRNG so a failing case can be reproduced. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABET = ['a', 'Z', '_', '0', '9', '中', '文', ' ', '+', '&', '=', '%', '😀', '.', '-'];

/** PHP-falsy values, which the PAYJS SDK's array_filter drops before signing. */
const FALSY = ['', '0', 0, null, undefined];

function randomParams(rand: () => number, withFalsy: boolean): Record<string, string | number | null | undefined> {
  const params: Record<string, string | number | null | undefined> = {};
  const n = 1 + Math.floor(rand() * 8);
  for (let i = 0; i < n; i++) {
    const name = ['mchid', 'total_fee', 'out_trade_no', 'body', 'attach', 'Nonce', 'a_b', 'zz', 'A1', 'status'][Math.floor(rand() * 10)];
    if (withFalsy && rand() < 0.25) {
      params[name] = FALSY[Math.floor(rand() * FALSY.length)];
    } else if (rand() < 0.3) {
      params[name] = Math.floor(rand() * 1e9) + 1;
    } else {
      let v = '';
      const len = 1 + Math.floor(rand() * 12);
      for (let j = 0; j < len; j++) v += ALPHABET[Math.floor(rand() * ALPHABET.length)];
      // "0" alone is falsy in PHP: only the withFalsy sets may hold it.
      params[name] = v === '0' && !withFalsy ? '00' : v;
    }
  }
  return params;
}

describe('signPayjs', () => {
  it('matches the documented MD5 worked example (same algorithm as WeChat Pay v2 MD5)', () => {
    const params = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };
    expect(signPayjs(params, '192006250b4c09247ec02edce69f6a2d')).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
  });

  it('signs exactly the string k=v&…&key=KEY (sorted, raw values)', () => {
    const params = { total_fee: 100, mchid: '1230000109', body: '测试 a+b&c=d', out_trade_no: 'T1' };
    const text = 'body=测试 a+b&c=d&mchid=1230000109&out_trade_no=T1&total_fee=100&key=' + KEY;
    expect(signPayjs(params, KEY)).toBe(createHash('md5').update(text, 'utf8').digest('hex').toUpperCase());
  });

  it('agrees with the independent reference signer on 300 random parameter sets, falsy values included', () => {
    const rand = prng(20240501);
    let falsySeen = 0;
    for (let i = 0; i < 300; i++) {
      const params = randomParams(rand, true);
      falsySeen += Object.values(params).filter((v) => FALSY.includes(v)).length;
      expect(signPayjs(params, KEY)).toBe(payjsReferenceSign(params, KEY));
    }
    expect(falsySeen).toBeGreaterThan(50);
  });

  it("agrees with wechatpay-axios-plugin's Hash.sign('MD5', …) (same &key= convention) on PHP-truthy values", () => {
    const rand = prng(7);
    for (let i = 0; i < 100; i++) {
      const params = randomParams(rand, false);
      expect(signPayjs(params, KEY)).toBe(Hash.sign('MD5', params, KEY));
    }
  });

  it('leaves out every value PHP array_filter drops: null, undefined, "", "0", 0', () => {
    const base = { mchid: '1', out_trade_no: 'X' };
    for (const falsy of FALSY) {
      expect(signPayjs({ ...base, attach: falsy }, KEY)).toBe(signPayjs(base, KEY));
      expect(payjsReferenceSign({ ...base, attach: falsy }, KEY)).toBe(signPayjs(base, KEY));
    }
    // Truthy look-alikes stay in: "00", " ", "0.0", 1.
    for (const kept of ['00', ' ', '0.0', 1]) expect(signPayjs({ ...base, attach: kept }, KEY)).not.toBe(signPayjs(base, KEY));
  });

  // Expected values from coreutils md5sum over the strings in the comments, not from any code here.
  it('matches fixed vectors whose answers hold falsy fields', () => {
    const key = 'Zq8s2LkP0vN4xT7w';
    // An unpaid check answer: status 0, empty attach, null paid_time are not signed.
    // mchid=1230000109&out_trade_no=ORD20240501A1&payjs_order_id=2024050112000012345678&return_code=1&total_fee=980&key=Zq8s2LkP0vN4xT7w
    const unpaid = { return_code: 1, mchid: '1230000109', out_trade_no: 'ORD20240501A1', payjs_order_id: '2024050112000012345678', status: 0, total_fee: 980, attach: '', paid_time: null };
    expect(signPayjs(unpaid, key)).toBe('DDAEA9EFF11A572E01E53685CC785EC0');
    expect(payjsReferenceSign(unpaid, key)).toBe('DDAEA9EFF11A572E01E53685CC785EC0');
    expect(verifyPayjsSign({ ...unpaid, sign: 'DDAEA9EFF11A572E01E53685CC785EC0' }, key)).toBe(true);
    expect(signPayjs({ ...unpaid, status: '0' }, key)).toBe('DDAEA9EFF11A572E01E53685CC785EC0');
    // The rule it replaces (status=0 signed) gives another value:
    // mchid=…&return_code=1&status=0&total_fee=980&key=… → D0FAD1A49013AA3D7FD4E5C8600FBCE8
    expect(verifyPayjsSign({ ...unpaid, sign: 'D0FAD1A49013AA3D7FD4E5C8600FBCE8' }, key)).toBe(false);
    // A refusal: return_code 0 is not signed. msg=order not found&key=Zq8s2LkP0vN4xT7w
    expect(signPayjs({ return_code: 0, msg: 'order not found' }, key)).toBe('47400BC4E49F1165ADD78AA2A2F0C43E');
  });

  it('ignores an existing sign field', () => {
    expect(signPayjs({ a: '1', sign: 'WHATEVER' }, KEY)).toBe(signPayjs({ a: '1' }, KEY));
  });

  it('refuses a non-integer number instead of signing a float', () => {
    expect(() => signPayjs({ total_fee: 9.8 }, KEY)).toThrow(TypeError);
  });
});

describe('verifyPayjsSign', () => {
  const params = { mchid: '1230000109', total_fee: '100', out_trade_no: 'T1', type: 'alipay' };
  const sign = payjsReferenceSign(params, KEY);

  it('accepts a correct sign over every field, unknown ones included', () => {
    expect(verifyPayjsSign({ ...params, sign }, KEY)).toBe(true);
  });

  it('rejects a changed value, a dropped field, an added field, the wrong key', () => {
    expect(verifyPayjsSign({ ...params, total_fee: '1', sign }, KEY)).toBe(false);
    const { type: _dropped, ...withoutType } = params;
    expect(verifyPayjsSign({ ...withoutType, sign }, KEY)).toBe(false);
    expect(verifyPayjsSign({ ...params, extra: 'x', sign }, KEY)).toBe(false);
    expect(verifyPayjsSign({ ...params, sign }, KEY + 'x')).toBe(false);
  });

  it('rejects a missing, empty, short or lower-case sign without throwing', () => {
    expect(verifyPayjsSign(params, KEY)).toBe(false);
    expect(verifyPayjsSign({ ...params, sign: '' }, KEY)).toBe(false);
    expect(verifyPayjsSign({ ...params, sign: sign.slice(0, 31) }, KEY)).toBe(false);
    expect(verifyPayjsSign({ ...params, sign: sign.toLowerCase() }, KEY)).toBe(false);
  });
});
