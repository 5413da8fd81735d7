import * as crypto from 'node:crypto';
import { responseMessage, rsaVerify } from './signing';

/** How far a signed timestamp may be from our clock (the official SDKs use 5 minutes). */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** The one signature scheme of API v3 (`Wechatpay-Signature-Type`; absent on older answers). */
export const SIGNATURE_TYPE = 'WECHATPAY2-SHA256-RSA2048';

export type SignatureProblem = 'missing-headers' | 'unsupported-signature-type' | 'unknown-serial' | 'certificate-not-valid' | 'stale-timestamp' | 'bad-signature';

/** A WeChat Pay answer or notification whose signature cannot be trusted. */
export class WechatpaySignatureError extends Error {
  constructor(
    readonly problem: SignatureProblem,
    message: string,
  ) {
    super(message);
    this.name = 'WechatpaySignatureError';
  }
}

/**
 * A verification key: a WeChat Pay public key (public-key mode), or a platform certificate, which is
 * trusted only inside its validity dates.
 */
export type PlatformKey = crypto.KeyObject | crypto.X509Certificate;

/**
 * Certificate serials are hexadecimal numbers: the same one may be written in either case and with
 * or without leading zeros. Public-key ids (`PUB_KEY_ID_…`) are compared as given.
 */
export function normaliseSerial(serial: string): string {
  return /^[0-9A-Fa-f]+$/.test(serial) ? serial.toUpperCase().replace(/^0+(?=.)/, '') : serial;
}

function lookup(keys: ReadonlyMap<string, PlatformKey>, serial: string): PlatformKey | undefined {
  const exact = keys.get(serial);
  if (exact) return exact;
  const wanted = normaliseSerial(serial);
  for (const [k, v] of keys) if (normaliseSerial(k) === wanted) return v;
  return undefined;
}

/** The public key of `key` at `nowMs`; a certificate outside its validity dates is refused. */
function usableKey(key: PlatformKey, serial: string, nowMs: number): crypto.KeyObject {
  if (!(key instanceof crypto.X509Certificate)) return key;
  const from = Date.parse(key.validFrom);
  const to = Date.parse(key.validTo);
  if (!(nowMs >= from && nowMs <= to)) {
    throw new WechatpaySignatureError('certificate-not-valid', `platform certificate ${serial} is valid from ${key.validFrom} to ${key.validTo}, not now.`);
  }
  return key.publicKey;
}

/**
 * Checks the `Wechatpay-*` headers (lower-case names) over the raw body bytes. The key is chosen by
 * `Wechatpay-Serial`, which names a public-key id (`PUB_KEY_ID_…`) or a platform certificate serial;
 * during a switch-over both kinds arrive, so the map may hold both. Returns the serial used.
 */
export function verifyWechatpaySignature(
  headers: Record<string, string>,
  rawBody: Buffer,
  platformKeys: ReadonlyMap<string, PlatformKey>,
  nowMs: number,
): string {
  const timestamp = headers['wechatpay-timestamp'];
  const nonce = headers['wechatpay-nonce'];
  const signature = headers['wechatpay-signature'];
  const serial = headers['wechatpay-serial'];
  if (!timestamp || !nonce || !signature || !serial) {
    throw new WechatpaySignatureError('missing-headers', 'Wechatpay-Timestamp, -Nonce, -Signature and -Serial are required.');
  }
  const type = headers['wechatpay-signature-type'];
  if (type !== undefined && type !== SIGNATURE_TYPE) {
    throw new WechatpaySignatureError('unsupported-signature-type', `Wechatpay-Signature-Type ${type} is not ${SIGNATURE_TYPE}.`);
  }
  const found = lookup(platformKeys, serial);
  if (!found) throw new WechatpaySignatureError('unknown-serial', `no WeChat Pay key is configured for serial ${serial}.`);
  const key = usableKey(found, serial, nowMs);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) - nowMs / 1000) > MAX_CLOCK_SKEW_SECONDS) {
    throw new WechatpaySignatureError('stale-timestamp', `Wechatpay-Timestamp ${timestamp} is more than ${MAX_CLOCK_SKEW_SECONDS} s from now.`);
  }
  if (!rsaVerify(responseMessage(timestamp, nonce, rawBody), signature, key)) {
    throw new WechatpaySignatureError('bad-signature', `the WeChat Pay signature does not verify with key ${serial}.`);
  }
  return serial;
}
