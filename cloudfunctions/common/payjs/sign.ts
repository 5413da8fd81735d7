import { createHash, timingSafeEqual } from 'node:crypto';

/** A PAYJS parameter set: null/undefined values take no part in the signature. */
export type PayjsParams = Record<string, string | number | null | undefined>;

/**
 * The string PAYJS signs: names sorted by code unit (ASCII order), `k=v` joined with `&`, values raw
 * (PAYJS signs `urldecode(http_build_query(...))`, so no URL encoding), then `&key=KEY`. PHP's
 * http_build_query drops null but keeps empty strings, and so do we.
 */
function signingString(params: PayjsParams, key: string): string {
  const pairs: string[] = [];
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    if (name === 'sign' || value === null || value === undefined) continue;
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      // Money and codes are integers; a float here would be signed in a form PAYJS never produces.
      throw new TypeError(`PAYJS parameter ${name} is not an integer: ${value}`);
    }
    pairs.push(`${name}=${value}`);
  }
  pairs.push(`key=${key}`);
  return pairs.join('&');
}

/** MD5 signature (uppercase hex) of every parameter except `sign`. */
export function signPayjs(params: PayjsParams, key: string): string {
  return createHash('md5').update(signingString(params, key), 'utf8').digest('hex').toUpperCase();
}

/** Checks `params.sign` against a signature over all other parameters, in constant time. */
export function verifyPayjsSign(params: PayjsParams, key: string): boolean {
  const received = params.sign;
  if (typeof received !== 'string') return false;
  const expected = Buffer.from(signPayjs(params, key), 'utf8');
  const given = Buffer.from(received, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
