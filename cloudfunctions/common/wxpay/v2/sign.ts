import * as crypto from 'node:crypto';
import type { V2SignType } from '../../config';

/** The fields of a v2 request, answer or notification. Numbers are for integer fields such as total_fee. */
export type V2Fields = Record<string, string | number | undefined>;

export function isV2SignType(s: unknown): s is V2SignType {
  return s === 'MD5' || s === 'HMAC-SHA256';
}

/** `k=v&k=v` over the non-empty fields except `sign`, keys in ASCII order, then `&key=KEY`. */
function stringToSign(fields: V2Fields, key: string): string {
  const pairs = Object.keys(fields)
    .filter((k) => k !== 'sign' && fields[k] !== undefined && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`);
  return `${pairs.join('&')}&key=${key}`;
}

/** The v2 `sign` (also `paySign`): MD5 or HMAC-SHA256 keyed with the API key, uppercase hex. */
export function signV2(fields: V2Fields, signType: V2SignType, key: string): string {
  const data = Buffer.from(stringToSign(fields, key), 'utf8');
  const hash = signType === 'MD5' ? crypto.createHash('md5') : crypto.createHmac('sha256', key);
  return hash.update(data).digest('hex').toUpperCase();
}

/**
 * True when `fields.sign` is the sign of all the other fields. Every received field takes part, so
 * fields the platform adds later are covered too.
 */
export function verifyV2(fields: V2Fields, signType: V2SignType, key: string): boolean {
  const got = fields.sign;
  if (typeof got !== 'string' || got === '') return false;
  const want = Buffer.from(signV2(fields, signType, key), 'utf8');
  const given = Buffer.from(got, 'utf8');
  return want.length === given.length && crypto.timingSafeEqual(want, given);
}

/** The fields with their `sign` added. */
export function withSign<T extends V2Fields>(fields: T, signType: V2SignType, key: string): T & { sign: string } {
  return { ...fields, sign: signV2(fields, signType, key) };
}

/** A `nonce_str` / `nonceStr`: 32 random hex characters (the platform allows up to 32). */
export function nonceStr(): string {
  return crypto.randomBytes(16).toString('hex');
}
