import * as crypto from 'node:crypto';
import forge from 'node-forge';
import type { WxPayV3Config } from '../../cloudfunctions/common/config';
import { WechatpaySignatureError } from '../../cloudfunctions/common/wxpay/v3/verify';

/**
 * Keys for WeChat Pay v3 tests, generated at test time (no key file is ever committed): the merchant
 * API key pair and certificate serial, the APIv3 key, a WeChat Pay public key with its PUB_KEY_ID_, and a
 * platform certificate made with node-forge.
 */
export interface V3Keys {
  merchant: {
    mchid: string;
    appid: string;
    privateKey: crypto.KeyObject;
    publicKey: crypto.KeyObject;
    certSerial: string;
    apiV3Key: Buffer;
  };
  platform: {
    publicKeyId: string;
    privateKey: crypto.KeyObject;
    publicKey: crypto.KeyObject;
    certificate: { serial: string; privateKey: crypto.KeyObject; pem: string };
  };
  /** A config that trusts both the public-key id and the platform certificate. */
  config(apiBase: string, notifyUrl?: string): WxPayV3Config;
}

const rsaPair = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A self-signed X.509 certificate for `keyPair`, as WeChat Pay's platform certificates are RSA 2048. */
export function makePlatformCertificate(keyPair: { privateKey: crypto.KeyObject; publicKey: crypto.KeyObject }): { pem: string; serial: string } {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keyPair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  // A positive 20-byte serial, like the platform's 40-hex-digit ones.
  cert.serialNumber = `5${crypto.randomBytes(19).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 86400_000);
  cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 86400_000);
  const attrs = [
    { name: 'commonName', value: 'Tenpay.com Root CA' },
    { name: 'organizationName', value: 'Tenpay.com' },
    { name: 'countryName', value: 'CN' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(forge.pki.privateKeyFromPem(keyPair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(cert);
  // Read the serial back the way config.ts does, so the map key matches production.
  return { pem, serial: new crypto.X509Certificate(pem).serialNumber.toUpperCase() };
}

export function makeV3Keys(): V3Keys {
  const merchantPair = rsaPair();
  const platformPair = rsaPair();
  const certPair = rsaPair();
  const cert = makePlatformCertificate(certPair);
  const keys: Omit<V3Keys, 'config'> = {
    merchant: {
      mchid: '1900000109',
      appid: `wx${crypto.randomBytes(8).toString('hex')}`,
      privateKey: merchantPair.privateKey,
      publicKey: merchantPair.publicKey,
      certSerial: crypto.randomBytes(20).toString('hex').toUpperCase(),
      // 32 bytes of printable characters, as the merchant platform issues them.
      apiV3Key: Buffer.from(crypto.randomBytes(16).toString('hex'), 'utf8'),
    },
    platform: {
      publicKeyId: `PUB_KEY_ID_0119000001092025${crypto.randomBytes(6).toString('hex').toUpperCase()}`,
      privateKey: platformPair.privateKey,
      publicKey: platformPair.publicKey,
      certificate: { serial: cert.serial, privateKey: certPair.privateKey, pem: cert.pem },
    },
  };
  return {
    ...keys,
    config: (apiBase, notifyUrl = 'https://example.com/pay-notify') => ({
      version: 'v3',
      appid: keys.merchant.appid,
      mchid: keys.merchant.mchid,
      apiBase,
      notifyUrl,
      privateKey: keys.merchant.privateKey,
      certSerial: keys.merchant.certSerial,
      apiV3Key: keys.merchant.apiV3Key,
      platformKeys: new Map([
        [keys.platform.publicKeyId, keys.platform.publicKey],
        [keys.platform.certificate.serial, new crypto.X509Certificate(keys.platform.certificate.pem).publicKey],
      ]),
    }),
  };
}

/** The `problem` a v3 signature check names when it refuses, or undefined when it accepts. */
export function problemOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof WechatpaySignatureError) return e.problem;
    throw e;
  }
}
