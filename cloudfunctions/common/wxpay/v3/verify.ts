import type * as crypto from 'node:crypto';
import { responseMessage, rsaVerify } from './signing';

/** How far a signed timestamp may be from our clock (the official SDKs use 5 minutes). */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export type SignatureProblem = 'missing-headers' | 'unknown-serial' | 'stale-timestamp' | 'bad-signature';

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
 * Checks the `Wechatpay-*` headers (lower-case names) over the raw body bytes. The key is chosen by
 * `Wechatpay-Serial`, which names a public-key id (`PUB_KEY_ID_…`) or a platform certificate serial;
 * during a switch-over both kinds arrive, so the map may hold both. Returns the serial used.
 */
export function verifyWechatpaySignature(
  headers: Record<string, string>,
  rawBody: Buffer,
  platformKeys: Map<string, crypto.KeyObject>,
  nowMs: number,
): string {
  const timestamp = headers['wechatpay-timestamp'];
  const nonce = headers['wechatpay-nonce'];
  const signature = headers['wechatpay-signature'];
  const serial = headers['wechatpay-serial'];
  if (!timestamp || !nonce || !signature || !serial) {
    throw new WechatpaySignatureError('missing-headers', 'Wechatpay-Timestamp, -Nonce, -Signature and -Serial are required.');
  }
  // Certificate serials are hex: compare them case-insensitively; public-key ids as given.
  const key = platformKeys.get(serial) ?? platformKeys.get(serial.toUpperCase());
  if (!key) throw new WechatpaySignatureError('unknown-serial', `no WeChat Pay key is configured for serial ${serial}.`);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) - nowMs / 1000) > MAX_CLOCK_SKEW_SECONDS) {
    throw new WechatpaySignatureError('stale-timestamp', `Wechatpay-Timestamp ${timestamp} is more than ${MAX_CLOCK_SKEW_SECONDS} s from now.`);
  }
  if (!rsaVerify(responseMessage(timestamp, nonce, rawBody), signature, key)) {
    throw new WechatpaySignatureError('bad-signature', `the WeChat Pay signature does not verify with key ${serial}.`);
  }
  return serial;
}
