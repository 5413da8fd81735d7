import { randomBytes } from 'node:crypto';
import type { PayjsJump } from '../../../typings/checkout';
import { ConfigError, type PayjsConfig } from '../config';
import { invalidArgument } from '../errors';
import { signPayjs } from './sign';

/**
 * The PAYJS mini-program jump (help.payjs.cn, 小程序支付). PAYJS admits no new merchants to it and
 * calls it test-only ("仅供测试使用"): it is kept as a complete legacy path.
 */

export const PAYJS_APP_ID = 'wx959c8c1fb2d877b5';
export const PAYJS_PAY_PATH = 'pages/pay';

/** Field limits from the PAYJS order table: string(32) body and out_trade_no, string(128) attach and nonce. */
export const PAYJS_LIMITS = { body: 32, outTradeNo: 32, attach: 128, nonce: 128, notifyUrl: 255 } as const;

export interface PayjsJumpOrder {
  outTradeNo: string;
  amountFen: number;
  description: string;
  attach?: string;
}

/** Length in Unicode characters (code points): a surrogate pair is one character, not two. */
const charLength = (s: string): number => Array.from(s).length;

/**
 * Cuts to at most `max` characters without splitting a surrogate pair. PAYJS documents string(32)
 * without saying bytes or characters; characters is how its MySQL columns count.
 */
export function truncateChars(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : chars.slice(0, max).join('');
}

/** Signed parameters for `wx.navigateToMiniProgram` to the PAYJS mini-program. */
export function buildPayjsJump(config: PayjsConfig, order: PayjsJumpOrder, nonce?: string): PayjsJump {
  if (!Number.isSafeInteger(order.amountFen) || order.amountFen <= 0) {
    throw invalidArgument(`amountFen must be a whole number of fen above 0, not ${order.amountFen}.`);
  }
  // The charset is WeChat Pay's (PAYJS relays orders to it); PAYJS itself only states the length.
  if (!/^[0-9A-Za-z_\-|*]{1,32}$/.test(order.outTradeNo)) {
    throw invalidArgument('outTradeNo must be 1–32 characters of 0-9 A-Z a-z _ - | *.');
  }
  const body = truncateChars(order.description.trim(), PAYJS_LIMITS.body);
  if (body === '') throw invalidArgument('description must not be empty.');
  // An empty attach is no attach (PAYJS signs without it too): leave it out of extraData.
  const attach = order.attach === '' ? undefined : order.attach;
  if (attach !== undefined && charLength(attach) > PAYJS_LIMITS.attach) {
    throw invalidArgument(`attach must be at most ${PAYJS_LIMITS.attach} characters.`);
  }
  const nonceValue = nonce ?? randomBytes(16).toString('hex');
  if (nonceValue === '' || charLength(nonceValue) > PAYJS_LIMITS.nonce) {
    throw invalidArgument(`nonce must be 1–${PAYJS_LIMITS.nonce} characters.`);
  }
  if (config.notifyUrl.length > PAYJS_LIMITS.notifyUrl) {
    throw new ConfigError('PAYJS_NOTIFY_URL', `must be at most ${PAYJS_LIMITS.notifyUrl} characters.`);
  }
  const unsigned = {
    mchid: config.mchid,
    total_fee: order.amountFen,
    out_trade_no: order.outTradeNo,
    body,
    notify_url: config.notifyUrl,
    ...(attach !== undefined ? { attach } : {}),
    nonce: nonceValue,
  };
  return { appId: PAYJS_APP_ID, path: PAYJS_PAY_PATH, extraData: { ...unsigned, sign: signPayjs(unsigned, config.key) } };
}
