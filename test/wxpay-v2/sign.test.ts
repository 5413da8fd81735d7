import * as crypto from 'node:crypto';
import { Hash } from 'wechatpay-axios-plugin';
import type { V2SignType } from '../../cloudfunctions/common/config';
import { nonceStr, signV2, verifyV2, withSign } from '../../cloudfunctions/common/wxpay/v2/sign';

// The worked example of the official signing guide (pay.weixin.qq.com, chapter 4_3).
const EXAMPLE = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };
const EXAMPLE_KEY = '192006250b4c09247ec02edce69f6a2d';

describe('v2 sign: the official worked example', () => {
  test('MD5', () => {
    expect(signV2(EXAMPLE, 'MD5', EXAMPLE_KEY)).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
  });
  test('HMAC-SHA256', () => {
    expect(signV2(EXAMPLE, 'HMAC-SHA256', EXAMPLE_KEY)).toBe('6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6');
  });
  test('key order, empty values and an existing sign do not change it', () => {
    const shuffled = { nonce_str: 'ibuaiVcKdpRxkhJA', body: 'test', sign: 'WHATEVER', attach: '', detail: undefined, device_info: '1000', mch_id: '10000100', appid: 'wxd930ea5d5a258f4f' };
    expect(signV2(shuffled, 'MD5', EXAMPLE_KEY)).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
  });
  test('a number field signs like its decimal string', () => {
    expect(signV2({ ...EXAMPLE, device_info: 1000 }, 'MD5', EXAMPLE_KEY)).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
  });
});

describe.each<V2SignType>(['MD5', 'HMAC-SHA256'])('v2 verify (%s)', (type) => {
  const key = crypto.randomBytes(16).toString('hex');
  const signed = withSign({ ...EXAMPLE, total_fee: 1, body: '测试 & <商品>' }, type, key);

  test('accepts its own sign, including fields it does not know', () => {
    expect(verifyV2(signed, type, key)).toBe(true);
    const withExtra = withSign({ ...EXAMPLE, future_field: 'x', promotion_detail: '{"a":1}' }, type, key);
    expect(verifyV2(withExtra, type, key)).toBe(true);
  });
  test('refuses a changed field, an added field, a removed field, another key and the other sign type', () => {
    expect(verifyV2({ ...signed, total_fee: 2 }, type, key)).toBe(false);
    expect(verifyV2({ ...signed, extra: 'x' }, type, key)).toBe(false);
    const { body: _body, ...withoutBody } = signed;
    expect(verifyV2(withoutBody, type, key)).toBe(false);
    expect(verifyV2(signed, type, crypto.randomBytes(16).toString('hex'))).toBe(false);
    expect(verifyV2(signed, type === 'MD5' ? 'HMAC-SHA256' : 'MD5', key)).toBe(false);
  });
  test('refuses a missing, empty, lowercase or truncated sign', () => {
    const { sign, ...unsigned } = signed;
    expect(verifyV2(unsigned, type, key)).toBe(false);
    expect(verifyV2({ ...unsigned, sign: '' }, type, key)).toBe(false);
    expect(verifyV2({ ...unsigned, sign: sign.toLowerCase() }, type, key)).toBe(false);
    expect(verifyV2({ ...unsigned, sign: sign.slice(0, -1) }, type, key)).toBe(false);
  });
});

describe('cross-check with wechatpay-axios-plugin Hash.sign', () => {
  const samples = Array.from({ length: 20 }, (_, i) => ({
    appid: `wx${crypto.randomBytes(8).toString('hex')}`,
    mch_id: String(1900000000 + i),
    nonce_str: nonceStr(),
    body: ['测试商品', 'a&b=c', '<x>"\'', 'emoji 😀', ' spaced '][i % 5],
    out_trade_no: `T${crypto.randomBytes(6).toString('hex')}`,
    total_fee: String(1 + i * 997),
    attach: i % 3 === 0 ? '' : `attach-${i}`,
    Zcase: 'upper before lower in ASCII',
  }));

  test.each<V2SignType>(['MD5', 'HMAC-SHA256'])('%s: ours equals theirs, and each verifies the other', (type) => {
    for (const fields of samples) {
      const key = crypto.randomBytes(16).toString('hex');
      const ours = signV2(fields, type, key);
      const theirs = Hash.sign(type, fields, key);
      expect(ours).toBe(theirs);
      expect(verifyV2({ ...fields, sign: theirs }, type, key)).toBe(true);
      expect(Hash.sign(type, { ...fields, sign: ours }, key)).toBe(ours);
    }
  });
});

test('nonceStr is 32 hex characters and differs each time', () => {
  const a = nonceStr();
  expect(a).toMatch(/^[0-9a-f]{32}$/);
  expect(nonceStr()).not.toBe(a);
});
