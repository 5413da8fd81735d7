import * as crypto from 'node:crypto';
import { loadOrCreateSandboxKeys } from '../../scripts/local-host/sandbox-env';

/**
 * PAYJS messages made the way PAYJS makes them, written here from help.payjs.cn and sharing no code with
 * cloudfunctions/common/payjs: with the sandbox's throwaway key, tests can check our signatures and
 * send validly signed notifications that are wrong in other ways (amount, merchant, order).
 */

/** help.payjs.cn 签名算法: drop `sign` and empty (null/undefined) values, ASCII sort, `k=v&…&key=KEY`, MD5, uppercase. */
export function payjsReferenceSign(fields: Record<string, unknown>, key: string): string {
  const names = Object.keys(fields)
    .filter((n) => n !== 'sign' && fields[n] !== undefined && fields[n] !== null)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const text = names.map((n) => `${n}=${String(fields[n])}`).concat(`key=${key}`).join('&');
  return crypto.createHash('md5').update(Buffer.from(text, 'utf8')).digest('hex').toUpperCase();
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
