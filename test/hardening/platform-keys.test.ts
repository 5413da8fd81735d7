import * as crypto from 'node:crypto';
import forge from 'node-forge';
import { ProviderError } from '../../cloudfunctions/common/errors';
import { NotificationRejected } from '../../cloudfunctions/common/payment/gateway';
import type { WxPayV3Config } from '../../cloudfunctions/common/config';
import { encryptResource } from '../../cloudfunctions/common/wxpay/v3/aead';
import { WxPayV3Gateway } from '../../cloudfunctions/common/wxpay/v3/gateway';
import { wechatpayHeaders } from '../../cloudfunctions/common/wxpay/v3/signing';
import { verifyWechatpaySignature, type PlatformKey } from '../../cloudfunctions/common/wxpay/v3/verify';
import { Faults } from '../../scripts/local-host/emulators/faults';
import { createWxPayV3Emulator, type PlatformCertificate, type WxPayV3Emulator } from '../../scripts/local-host/emulators/wxpay-v3';
import { makeV3Keys, problemOf } from '../helpers/wxpay-keys';
import { serveEmulator, type Served } from '../helpers/loopback';
import { testNotifier } from '../wxpay-v3/loopback';

/** Platform certificates: validity, serial spelling, the signature type, and rotation via /v3/certificates. */

const keys = makeV3Keys();
const NOW = Date.now();
const DAY = 86400_000;

/** A platform certificate with chosen dates and serial (hex, positive). */
function certificate(opts: { from?: number; to?: number; serial?: string } = {}): PlatformCertificate & { pem: string; x509: crypto.X509Certificate } {
  const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = opts.serial ?? `5${crypto.randomBytes(19).toString('hex')}`;
  cert.validity.notBefore = new Date(opts.from ?? NOW - DAY);
  cert.validity.notAfter = new Date(opts.to ?? NOW + 365 * DAY);
  const attrs = [{ name: 'commonName', value: 'Tenpay.com Root CA' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(forge.pki.privateKeyFromPem(pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(cert);
  const x509 = new crypto.X509Certificate(pem);
  return { serial: x509.serialNumber.toUpperCase(), privateKey: pair.privateKey, pem, x509 };
}

describe('verifying with platform certificates', () => {
  const body = '{"code":"SUCCESS"}';
  const valid = certificate();

  it('refuses a certificate outside its validity dates, in both directions', () => {
    const expired = certificate({ from: NOW - 400 * DAY, to: NOW - DAY });
    const future = certificate({ from: NOW + DAY, to: NOW + 400 * DAY });
    for (const c of [expired, future]) {
      const map = new Map<string, PlatformKey>([[c.serial, c.x509]]);
      expect(problemOf(() => verifyWechatpaySignature(wechatpayHeaders(body, c, NOW), Buffer.from(body), map, NOW))).toBe('certificate-not-valid');
    }
    const map = new Map<string, PlatformKey>([[valid.serial, valid.x509]]);
    expect(problemOf(() => verifyWechatpaySignature(wechatpayHeaders(body, valid, NOW), Buffer.from(body), map, NOW))).toBeUndefined();
  });

  it('finds the key whatever the case and leading zeros of the serial', () => {
    const map = new Map<string, PlatformKey>([[valid.serial, valid.x509]]);
    for (const spelt of [valid.serial.toLowerCase(), `00${valid.serial}`, `0${valid.serial.toLowerCase()}`]) {
      const h = wechatpayHeaders(body, { serial: spelt, privateKey: valid.privateKey }, NOW);
      expect(problemOf(() => verifyWechatpaySignature(h, Buffer.from(body), map, NOW))).toBeUndefined();
    }
    // A configured serial written with leading zeros matches the platform's spelling too.
    const zeroed = new Map<string, PlatformKey>([[`000${valid.serial.toLowerCase()}`, valid.x509]]);
    expect(problemOf(() => verifyWechatpaySignature(wechatpayHeaders(body, valid, NOW), Buffer.from(body), zeroed, NOW))).toBeUndefined();
    // Public-key ids are not numbers: compared as given.
    const pub = new Map<string, PlatformKey>([[keys.platform.publicKeyId, keys.platform.publicKey]]);
    const lower = wechatpayHeaders(body, { serial: keys.platform.publicKeyId.toLowerCase(), privateKey: keys.platform.privateKey }, NOW);
    expect(problemOf(() => verifyWechatpaySignature(lower, Buffer.from(body), pub, NOW))).toBe('unknown-serial');
  });

  it('reads Wechatpay-Signature-Type: another scheme is refused, an absent one is the RSA scheme', () => {
    const map = new Map<string, PlatformKey>([[valid.serial, valid.x509]]);
    const h = wechatpayHeaders(body, valid, NOW);
    for (const type of ['WECHATPAY2-SM2-WITH-SM3', 'wechatpay2-sha256-rsa2048', '']) {
      expect(problemOf(() => verifyWechatpaySignature({ ...h, 'wechatpay-signature-type': type }, Buffer.from(body), map, NOW))).toBe('unsupported-signature-type');
    }
    const { 'wechatpay-signature-type': _dropped, ...without } = h;
    expect(problemOf(() => verifyWechatpaySignature(without, Buffer.from(body), map, NOW))).toBeUndefined();
  });
});

describe('platform certificate rotation', () => {
  const PREFIX = '/wxpay';
  let emulator: WxPayV3Emulator;
  let api: Served;
  let first: ReturnType<typeof certificate>;
  const certRequests = () => emulator.received.filter((r) => r.path === '/v3/certificates').length;

  const configWith = (platformKeys: Map<string, PlatformKey>): WxPayV3Config => ({ ...keys.config(`${api.url}${PREFIX}`), platformKeys });
  let seq = 0;
  /** A signed 200 answer (an order placed); 4xx answers are not what is verified here. */
  const place = (gateway: WxPayV3Gateway) =>
    gateway.prepay({ outTradeNo: `R${Date.now()}${++seq}`, description: 'x', amountFen: 1, expiresAt: Date.now() + 600_000, notifyUrl: 'https://example.com/n', tradeType: 'JSAPI', openid: 'o1' });
  const gatewayFor = (platformKeys: Map<string, PlatformKey>) => new WxPayV3Gateway(configWith(platformKeys), { retry: { attempts: 1, firstDelayMs: 1 }, timeoutMs: 2000 });

  beforeEach(async () => {
    first = certificate();
    emulator = createWxPayV3Emulator({
      merchant: { mchid: keys.merchant.mchid, appid: keys.merchant.appid, certSerial: keys.merchant.certSerial, publicKey: keys.merchant.publicKey, apiV3Key: keys.merchant.apiV3Key },
      platform: { publicKeyId: keys.platform.publicKeyId, privateKey: keys.platform.privateKey, certificate: first, signWith: 'certificate' },
      notifier: testNotifier(),
      faults: new Faults(),
      pathPrefix: PREFIX,
    });
    api = await serveEmulator((req) => emulator.handle(req), PREFIX);
  });
  afterEach(() => api.close());

  it('an answer signed with a new certificate is verified after one download of the list', async () => {
    const gateway = gatewayFor(new Map([[first.serial, first.x509]]));
    expect(await place(gateway)).toMatchObject({ tradeType: 'JSAPI' });
    expect(certRequests()).toBe(0);
    emulator.rotateCertificate(certificate());
    expect(await place(gateway)).toMatchObject({ tradeType: 'JSAPI' });
    expect(await place(gateway)).toMatchObject({ tradeType: 'JSAPI' });
    // Cached: one download for both.
    expect(certRequests()).toBe(1);
  });

  it('a notification signed with a new certificate is accepted after the download', async () => {
    const gateway = gatewayFor(new Map([[first.serial, first.x509]]));
    const next = certificate();
    emulator.rotateCertificate(next);
    const transaction = { appid: keys.merchant.appid, mchid: keys.merchant.mchid, out_trade_no: 'T0000000009', transaction_id: '4200000000000000000000000001', trade_state: 'SUCCESS', success_time: '2026-01-01T12:00:00+08:00', payer: { openid: 'o1' }, amount: { total: 1, payer_total: 1, currency: 'CNY' } };
    const body = JSON.stringify({ id: 'n1', event_type: 'TRANSACTION.SUCCESS', resource: { algorithm: 'AEAD_AES_256_GCM', ...encryptResource(JSON.stringify(transaction), keys.merchant.apiV3Key, 'transaction') } });
    const report = await gateway.readNotification({ method: 'POST', path: '/payNotify', headers: wechatpayHeaders(body, next, Date.now()), rawBody: Buffer.from(body) });
    expect(report).toMatchObject({ outTradeNo: 'T0000000009', state: 'SUCCESS' });
    expect(certRequests()).toBe(1);
  });

  it('a made-up serial is refused; a flood of them costs one download a minute', async () => {
    const gateway = gatewayFor(new Map([[first.serial, first.x509]]));
    const forger = certificate();
    const body = '{"event_type":"TRANSACTION.SUCCESS"}';
    const attempts = await Promise.all(
      Array.from({ length: 20 }, () => gateway.readNotification({ method: 'POST', path: '/n', headers: wechatpayHeaders(body, forger, Date.now()), rawBody: Buffer.from(body) }).catch((e: unknown) => e)),
    );
    for (const e of attempts) expect(e).toBeInstanceOf(NotificationRejected);
    expect(certRequests()).toBe(1);
  });

  it('a list not encrypted with our APIv3 key, or signed by nobody we trust, adds nothing', async () => {
    const gateway = gatewayFor(new Map([[first.serial, first.x509]]));
    const intruder = certificate();
    // An answer carrying the intruder's certificate, encrypted with another key and signed by it.
    const list = JSON.stringify({ data: [{ serial_no: intruder.serial, effective_time: '2026-01-01T00:00:00+08:00', expire_time: '2030-01-01T00:00:00+08:00', encrypt_certificate: { algorithm: 'AEAD_AES_256_GCM', ...encryptResource(intruder.pem, Buffer.from('x'.repeat(32)), 'certificate') } }] });
    emulator.faults.add({ pathIncludes: '/v3/certificates', kind: 'reply', times: 1, reply: { statusCode: 200, headers: { 'content-type': 'application/json', ...wechatpayHeaders(list, intruder, Date.now()) }, body: list } });
    emulator.rotateCertificate(intruder);
    const err = await place(gateway).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    // Still unknown afterwards: the intruder's certificate was not cached.
    emulator.faults.clear();
    expect(await place(gateway).catch((e: unknown) => e)).toMatchObject({ providerCode: 'ANSWER_SIGNATURE_INVALID' });
    expect(certRequests()).toBe(1);
  });

  it('public-key mode never downloads', async () => {
    const gateway = gatewayFor(new Map<string, PlatformKey>([[keys.platform.publicKeyId, keys.platform.publicKey]]));
    const err = await place(gateway).catch((e: unknown) => e);
    expect(err).toMatchObject({ providerCode: 'ANSWER_SIGNATURE_INVALID' });
    expect(certRequests()).toBe(0);
  });
});
