import { createHash, randomBytes } from 'node:crypto';
import { Hash } from 'wechatpay-axios-plugin';
import { signPayjs, verifyPayjsSign } from '../../cloudfunctions/common/payjs/sign';
import { referenceSign } from './helpers';

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

function randomParams(rand: () => number): Record<string, string | number> {
  const params: Record<string, string | number> = {};
  const n = 1 + Math.floor(rand() * 8);
  for (let i = 0; i < n; i++) {
    const name = ['mchid', 'total_fee', 'out_trade_no', 'body', 'attach', 'Nonce', 'a_b', 'zz', 'A1'][Math.floor(rand() * 9)];
    if (rand() < 0.3) {
      params[name] = Math.floor(rand() * 1e9) + 1;
    } else {
      let v = '';
      const len = 1 + Math.floor(rand() * 12);
      for (let j = 0; j < len; j++) v += ALPHABET[Math.floor(rand() * ALPHABET.length)];
      params[name] = v;
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

  it('agrees with the independent reference signer on 300 random parameter sets', () => {
    const rand = prng(20240501);
    for (let i = 0; i < 300; i++) {
      const params = randomParams(rand);
      expect(signPayjs(params, KEY)).toBe(referenceSign(params, KEY));
    }
  });

  it("agrees with wechatpay-axios-plugin's Hash.sign('MD5', …) (same &key= convention) on non-empty values", () => {
    const rand = prng(7);
    for (let i = 0; i < 100; i++) {
      const params = randomParams(rand);
      expect(signPayjs(params, KEY)).toBe(Hash.sign('MD5', params, KEY));
    }
  });

  it('skips null and undefined but signs an empty string (as PHP http_build_query does)', () => {
    const base = { mchid: '1', out_trade_no: 'X' };
    expect(signPayjs({ ...base, attach: null, body: undefined }, KEY)).toBe(signPayjs(base, KEY));
    expect(signPayjs({ ...base, attach: '' }, KEY)).not.toBe(signPayjs(base, KEY));
    expect(signPayjs({ ...base, attach: '' }, KEY)).toBe(referenceSign({ ...base, attach: '' }, KEY));
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
  const sign = referenceSign(params, KEY);

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
