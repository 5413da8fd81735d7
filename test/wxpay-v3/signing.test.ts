import * as crypto from 'node:crypto';
import { Formatter, Rsa } from 'wechatpay-axios-plugin';
import { formatAuthorization, parseAuthorization } from '../../cloudfunctions/common/wxpay/v3/authorization';
import {
  authorizationHeader,
  newNonce,
  paySignMessage,
  requestMessage,
  responseMessage,
  rsaSign,
  rsaVerify,
  unixSeconds,
} from '../../cloudfunctions/common/wxpay/v3/signing';
import { makeV3Keys } from '../helpers/wxpay-keys';

const keys = makeV3Keys();

describe('request message', () => {
  it('matches the official example byte for byte', () => {
    expect(requestMessage('GET', '/v3/certificates', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '')).toBe(
      'GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n',
    );
  });

  it('upper-cases the method and keeps the body exactly as sent', () => {
    const body = '{"mchid":"1900000109","amount":{"total":1}}';
    expect(requestMessage('post', '/v3/pay/transactions/jsapi?x=1', '1', 'N', body)).toBe(`POST\n/v3/pay/transactions/jsapi?x=1\n1\nN\n${body}\n`);
  });

  it('agrees with wechatpay-axios-plugin Formatter.request / response', () => {
    const body = '{"a":"中文"}';
    expect(requestMessage('POST', '/v3/x?y=1', '1700000000', 'NONCE', body)).toBe(Formatter.request('POST', '/v3/x?y=1', 1700000000, 'NONCE', body));
    expect(responseMessage('1700000000', 'NONCE', body)).toBe(Formatter.response(1700000000, 'NONCE', body));
    // The byte form (used for raw answers) is the same bytes as the string form.
    expect(Buffer.compare(responseMessage('1', 'N', Buffer.from(body)) as Buffer, Buffer.from(Formatter.response(1, 'N', body)))).toBe(0);
  });

  it('builds the v3 paySign message: four lines, each ending in \\n', () => {
    expect(paySignMessage('wx1234567890abcdef', '1414561699', '5K8264ILTKCH16CQ2502SI8ZNMTM67VS', 'prepay_id=wx201410272009395522657a690389285100')).toBe(
      'wx1234567890abcdef\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n',
    );
  });
});

describe('nonce and timestamp', () => {
  it('makes 32-character random nonces', () => {
    const seen = new Set(Array.from({ length: 50 }, newNonce));
    expect(seen.size).toBe(50);
    for (const n of seen) expect(n).toMatch(/^[0-9A-F]{32}$/);
  });

  it('turns epoch ms into a 10-digit seconds string, rounding down', () => {
    expect(unixSeconds(1554208460999)).toBe('1554208460');
  });
});

describe('SHA256withRSA', () => {
  const message = requestMessage('GET', '/v3/certificates', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '');

  it('round-trips with generated keys and fails on any change', () => {
    const sig = rsaSign(message, keys.merchant.privateKey);
    expect(rsaVerify(message, sig, keys.merchant.publicKey)).toBe(true);
    expect(rsaVerify(message.replace('GET', 'PUT'), sig, keys.merchant.publicKey)).toBe(false);
    expect(rsaVerify(message, sig, keys.platform.publicKey)).toBe(false);
    expect(rsaVerify(message, 'not base64 at all', keys.merchant.publicKey)).toBe(false);
  });

  it('is deterministic PKCS#1 v1.5: the same bytes as wechatpay-axios-plugin Rsa.sign', () => {
    expect(rsaSign(message, keys.merchant.privateKey)).toBe(Rsa.sign(message, keys.merchant.privateKey));
  });

  it('their signature verifies with us, ours with them', () => {
    const theirs = Rsa.sign(message, keys.merchant.privateKey);
    expect(rsaVerify(message, theirs, keys.merchant.publicKey)).toBe(true);
    const ours = rsaSign(message, keys.platform.privateKey);
    expect(Rsa.verify(message, ours, keys.platform.publicKey)).toBe(true);
    expect(Rsa.verify(`${message}x`, ours, keys.platform.publicKey)).toBe(false);
  });
});

describe('Authorization header', () => {
  it('has the documented format and field order', () => {
    const h = formatAuthorization({ mchid: '1900000001', nonceStr: 'N1', signature: 'c2ln', timestamp: '1554208460', serialNo: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C' });
    expect(h).toBe(
      'WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="N1",signature="c2ln",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"',
    );
  });

  it('signs the request so that anyone holding the merchant public key can check it', () => {
    const nowMs = 1554208460_123;
    const header = authorizationHeader(
      { mchid: keys.merchant.mchid, serialNo: keys.merchant.certSerial, privateKey: keys.merchant.privateKey },
      { method: 'GET', pathWithQuery: '/v3/certificates', body: '', nowMs, nonce: '593BEC0C930BF1AFEB40B4A08C8FB242' },
    );
    const f = parseAuthorization(header)!;
    expect(f).toMatchObject({ mchid: keys.merchant.mchid, nonceStr: '593BEC0C930BF1AFEB40B4A08C8FB242', timestamp: '1554208460', serialNo: keys.merchant.certSerial });
    const official = 'GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n';
    expect(Rsa.verify(official, f.signature, keys.merchant.publicKey)).toBe(true);
  });

  it('parses the header wechatpay-axios-plugin writes (another field order)', () => {
    const theirs = Formatter.authorization('1900000109', 'NONCE', 'U0lH', 1700000000, 'ABCDEF');
    expect(parseAuthorization(theirs)).toEqual({ mchid: '1900000109', nonceStr: 'NONCE', signature: 'U0lH', timestamp: '1700000000', serialNo: 'ABCDEF' });
  });

  it.each([
    ['no header', undefined],
    ['another schema', 'Bearer mchid="1",nonce_str="n",signature="s",timestamp="1",serial_no="x"'],
    ['a missing field', 'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="s",timestamp="1"'],
    ['a repeated field', 'WECHATPAY2-SHA256-RSA2048 mchid="1",mchid="2",nonce_str="n",signature="s",timestamp="1",serial_no="x"'],
    ['junk between fields', 'WECHATPAY2-SHA256-RSA2048 mchid="1";nonce_str="n",signature="s",timestamp="1",serial_no="x"'],
    ['a trailing comma', 'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="s",timestamp="1",serial_no="x",'],
  ])('rejects %s', (_what, header) => {
    expect(parseAuthorization(header)).toBeUndefined();
  });
});

it('the merchant public key is really RSA 2048 (what WeChat Pay issues)', () => {
  expect(keys.merchant.publicKey.asymmetricKeyType).toBe('rsa');
  expect(keys.merchant.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  expect(crypto.createPublicKey(keys.platform.certificate.pem).asymmetricKeyDetails?.modulusLength).toBe(2048);
});
