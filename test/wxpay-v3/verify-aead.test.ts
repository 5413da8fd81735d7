import * as crypto from 'node:crypto';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { decryptResource, encryptResource, ResourceDecryptError } from '../../cloudfunctions/common/wxpay/v3/aead';
import { wechatpayHeaders } from '../../cloudfunctions/common/wxpay/v3/signing';
import { verifyWechatpaySignature } from '../../cloudfunctions/common/wxpay/v3/verify';
import { makeV3Keys, problemOf } from '../helpers/wxpay-keys';

const keys = makeV3Keys();
const platformKeys = keys.config('https://api.mch.weixin.qq.com').platformKeys;
const NOW = 1_700_000_000_000;
const body = '{"prepay_id":"wx26112221580621e9b071c00d9e093b0000"}';
const byPublicKey = { serial: keys.platform.publicKeyId, privateKey: keys.platform.privateKey };
const byCertificate = { serial: keys.platform.certificate.serial, privateKey: keys.platform.certificate.privateKey };

describe('verifying WeChat Pay signatures', () => {
  it('accepts both key kinds from one map (public-key id and platform certificate serial)', () => {
    expect(platformKeys.size).toBe(2);
    expect(verifyWechatpaySignature(wechatpayHeaders(body, byPublicKey, NOW), Buffer.from(body), platformKeys, NOW)).toBe(keys.platform.publicKeyId);
    expect(verifyWechatpaySignature(wechatpayHeaders(body, byCertificate, NOW), Buffer.from(body), platformKeys, NOW)).toBe(keys.platform.certificate.serial);
  });

  it('matches certificate serials case-insensitively', () => {
    const h = wechatpayHeaders(body, { ...byCertificate, serial: byCertificate.serial.toLowerCase() }, NOW);
    expect(problemOf(() => verifyWechatpaySignature(h, Buffer.from(body), platformKeys, NOW))).toBeUndefined();
  });

  it('verifies over the raw bytes, including non-ASCII text', () => {
    const text = '{"summary":"支付成功"}';
    expect(problemOf(() => verifyWechatpaySignature(wechatpayHeaders(text, byPublicKey, NOW), Buffer.from(text), platformKeys, NOW))).toBeUndefined();
  });

  it('rejects an unknown serial, even with a valid signature', () => {
    const h = wechatpayHeaders(body, { serial: 'PUB_KEY_ID_UNKNOWN', privateKey: keys.platform.privateKey }, NOW);
    expect(problemOf(() => verifyWechatpaySignature(h, Buffer.from(body), platformKeys, NOW))).toBe('unknown-serial');
  });

  it('rejects a signature made with another key under a known serial', () => {
    const h = wechatpayHeaders(body, { serial: keys.platform.publicKeyId, privateKey: keys.merchant.privateKey }, NOW);
    expect(problemOf(() => verifyWechatpaySignature(h, Buffer.from(body), platformKeys, NOW))).toBe('bad-signature');
  });

  it('rejects a changed body or a changed nonce', () => {
    const h = wechatpayHeaders(body, byPublicKey, NOW);
    expect(problemOf(() => verifyWechatpaySignature(h, Buffer.from(body.replace('wx26', 'wx27')), platformKeys, NOW))).toBe('bad-signature');
    expect(problemOf(() => verifyWechatpaySignature({ ...h, 'wechatpay-nonce': 'OTHER' }, Buffer.from(body), platformKeys, NOW))).toBe('bad-signature');
  });

  it('rejects timestamps more than 5 minutes away, either way, and accepts up to 5 minutes', () => {
    const h = wechatpayHeaders(body, byPublicKey, NOW);
    expect(problemOf(() => verifyWechatpaySignature(h, Buffer.from(body), platformKeys, NOW + 300_000))).toBeUndefined();
    expect(problemOf(() => verifyWechatpaySignature(h, Buffer.from(body), platformKeys, NOW + 301_000))).toBe('stale-timestamp');
    expect(problemOf(() => verifyWechatpaySignature(h, Buffer.from(body), platformKeys, NOW - 301_000))).toBe('stale-timestamp');
  });

  it('rejects missing headers', () => {
    const { ['wechatpay-signature']: _dropped, ...rest } = wechatpayHeaders(body, byPublicKey, NOW);
    expect(problemOf(() => verifyWechatpaySignature(rest, Buffer.from(body), platformKeys, NOW))).toBe('missing-headers');
  });

  it('accepts an answer signed by wechatpay-axios-plugin (Formatter.response + Rsa.sign)', () => {
    const nonce = Formatter.nonce();
    const ts = String(NOW / 1000);
    const h = {
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': nonce,
      'wechatpay-serial': keys.platform.publicKeyId,
      'wechatpay-signature': Rsa.sign(Formatter.response(ts, nonce, body), keys.platform.privateKey),
    };
    expect(verifyWechatpaySignature(h, Buffer.from(body), platformKeys, NOW)).toBe(keys.platform.publicKeyId);
  });

  it('produces headers wechatpay-axios-plugin verifies', () => {
    const h = wechatpayHeaders(body, byCertificate, NOW);
    const certKey = new crypto.X509Certificate(keys.platform.certificate.pem).publicKey;
    expect(Rsa.verify(Formatter.response(h['wechatpay-timestamp'], h['wechatpay-nonce'], body), h['wechatpay-signature'], certKey)).toBe(true);
  });
});

describe('AEAD_AES_256_GCM resources', () => {
  const key = keys.merchant.apiV3Key;
  const plaintext = JSON.stringify({ out_trade_no: 'T20240101000001', trade_state: 'SUCCESS', amount: { total: 980 }, note: '中文' });

  it('round-trips, with a 12-character nonce and the tag at the end', () => {
    const r = encryptResource(plaintext, key, 'transaction');
    expect(r.nonce).toHaveLength(12);
    expect(Buffer.from(r.ciphertext, 'base64').length).toBe(Buffer.byteLength(plaintext) + 16);
    expect(decryptResource(r, key)).toBe(plaintext);
  });

  it('decrypts what wechatpay-axios-plugin encrypts', () => {
    const ciphertext = Aes.AesGcm.encrypt(plaintext, key, 'abcdefghijkl', 'transaction');
    expect(decryptResource({ ciphertext, nonce: 'abcdefghijkl', associated_data: 'transaction' }, key)).toBe(plaintext);
  });

  it('encrypts what wechatpay-axios-plugin decrypts', () => {
    const r = encryptResource(plaintext, key, 'certificate');
    expect(Aes.AesGcm.decrypt(r.ciphertext, key, r.nonce, r.associated_data)).toBe(plaintext);
  });

  it.each([
    ['a wrong key', (r: ReturnType<typeof encryptResource>) => ({ r, k: Buffer.from('0'.repeat(32)) })],
    ['a wrong AAD', (r: ReturnType<typeof encryptResource>) => ({ r: { ...r, associated_data: 'refund' }, k: key })],
    ['a wrong nonce', (r: ReturnType<typeof encryptResource>) => ({ r: { ...r, nonce: 'zzzzzzzzzzzz' }, k: key })],
    [
      'a flipped ciphertext bit',
      (r: ReturnType<typeof encryptResource>) => {
        const b = Buffer.from(r.ciphertext, 'base64');
        b[0] ^= 1;
        return { r: { ...r, ciphertext: b.toString('base64') }, k: key };
      },
    ],
    ['a ciphertext shorter than the tag', (r: ReturnType<typeof encryptResource>) => ({ r: { ...r, ciphertext: 'AAAA' }, k: key })],
  ])('refuses %s', (_what, tamper) => {
    const { r, k } = tamper(encryptResource(plaintext, key, 'transaction'));
    expect(() => decryptResource(r, k)).toThrow(ResourceDecryptError);
  });
});
