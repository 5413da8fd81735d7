import * as crypto from 'node:crypto';
import forge from 'node-forge';
import { loadOrCreateSandboxKeys } from '../../scripts/local-host/sandbox-env';

/**
 * PAYJS messages made the way PAYJS makes them, written here from help.payjs.cn and the PAYJS PHP SDK,
 * sharing no code with cloudfunctions/common/payjs (this is the tests' one reference signer): with the
 * sandbox's throwaway key, tests can check our signatures and send validly signed notifications that are
 * wrong in other ways (amount, merchant, order).
 */

/** PHP truthiness, as `array_filter($data)` without a callback applies it. */
function phpTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '' && value !== '0';
  return true;
}

/** `strcmp` over the names' UTF-16 code units, as PHP's ksort orders PAYJS's (ASCII) field names. */
function byCodeUnit(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * The PAYJS SDK's sign (payjs-cn/phpsdk): `array_filter` (drops null, false, "", "0", 0), `ksort`,
 * `urldecode(http_build_query(...))` (raw `k=v` joined by `&`), `&key=KEY`, MD5 (node-forge), uppercase.
 */
export function payjsReferenceSign(fields: Record<string, unknown>, key: string): string {
  const kept = new Map<string, string>();
  for (const [name, value] of Object.entries(fields)) {
    if (name === 'sign' || !phpTruthy(value)) continue;
    kept.set(name, value === true ? '1' : String(value));
  }
  let text = '';
  for (const name of [...kept.keys()].sort(byCodeUnit)) text += `${name}=${kept.get(name)}&`;
  text += `key=${key}`;
  const md = forge.md.md5.create();
  md.update(text, 'utf8');
  return md.digest().toHex().toUpperCase();
}

export interface PayjsSandboxMerchant {
  mchid: string;
  key: string;
}

export function payjsSandboxMerchant(sandboxDir: string): PayjsSandboxMerchant {
  const k = loadOrCreateSandboxKeys(sandboxDir);
  return { mchid: k.payjsMchid, key: k.payjsKey };
}

export interface ForgedPayjsNotify {
  headers: Record<string, string>;
  body: Buffer;
  fields: Record<string, string>;
}

/**
 * A PAYJS payment notification (异步通知) for `order`, signed with the sandbox key. `fields` overrides or
 * adds fields before signing; `sign` replaces the signature afterwards.
 */
export function forgePayjsNotify(
  sandboxDir: string,
  order: { outTradeNo: string; amountFen: number },
  opts: { fields?: Record<string, string>; sign?: string } = {},
): ForgedPayjsNotify {
  const m = payjsSandboxMerchant(sandboxDir);
  const fields: Record<string, string> = {
    return_code: '1',
    total_fee: String(order.amountFen),
    out_trade_no: order.outTradeNo,
    payjs_order_id: `2026112110000${crypto.randomInt(1e9, 1e10 - 1)}`,
    transaction_id: `4200001234${crypto.randomInt(1e9, 1e10 - 1)}`,
    time_end: '2026-11-21 10:00:00',
    openid: 'o7LFAwUGdnl0sq0QvJk1jbhPKxyz',
    mchid: m.mchid,
    ...opts.fields,
  };
  const sign = opts.sign ?? payjsReferenceSign(fields, m.key);
  const body = Object.entries({ ...fields, sign })
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(body), fields: { ...fields, sign } };
}

/** Jump parameters (extraData) as a back end would sign them, for feeding the emulator directly. */
export function forgePayjsExtraData(sandboxDir: string, fields: Record<string, string | number>): Record<string, string | number> {
  const m = payjsSandboxMerchant(sandboxDir);
  const all = { mchid: m.mchid, nonce: crypto.randomBytes(8).toString('hex'), ...fields };
  return { ...all, sign: payjsReferenceSign(all, m.key) };
}
