import { createHash, timingSafeEqual } from 'node:crypto';

/** A PAYJS parameter set as signed or received: form fields are strings, JSON answers add numbers and null. */
export type PayjsParams = Record<string, string | number | null | undefined>;

/**
 * Whether PHP's `array_filter` (no callback) keeps the value. PAYJS's SDK signs
 * `md5(urldecode(http_build_query(ksort(array_filter($data)))) . '&key=' . $key)`: every falsy value —
 * null, "", "0", 0 (and false, which this type leaves out) — takes no part in the signature, e.g. an
 * unpaid `check` answer's `status: 0` or a notification's empty `attach`.
 */
function keptByPayjs(value: PayjsParams[string]): value is string | number {
  return value !== null && value !== undefined && value !== '' && value !== '0' && value !== 0;
}

/**
 * The string PAYJS signs: kept names sorted by code unit (ASCII order), `k=v` joined with `&`, values raw
 * (urldecode undoes http_build_query's encoding), then `&key=KEY`.
 */
function signingString(params: PayjsParams, key: string): string {
  const pairs: string[] = [];
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    if (name === 'sign' || !keptByPayjs(value)) continue;
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
