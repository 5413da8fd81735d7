import * as crypto from 'node:crypto';
import { toCompactBeijing } from '../time';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function randomAlnum(n: number): string {
  const bytes = crypto.randomBytes(n);
  let s = '';
  // 252 = 7 * 36: bytes above it are redrawn so every character is equally likely.
  for (let i = 0; s.length < n; i++) {
    const b = i < bytes.length ? bytes[i] : crypto.randomBytes(1)[0];
    if (b < 252) s += ALNUM[b % 36];
  }
  return s;
}

/** 26 characters: Beijing date-time, then 12 random [0-9A-Z] (within WeChat Pay's 6–32 of [0-9A-Za-z_-|*]). */
export function newOutTradeNo(now: number): string {
  return toCompactBeijing(now) + randomAlnum(12);
}

/**
 * The order's id. With a client request id it is derived from (openid, requestId), so a retried
 * createOrder lands on the same document instead of creating a second order.
 */
export function newOrderId(openid: string, requestId?: string): string {
  if (requestId === undefined) return crypto.randomBytes(16).toString('hex');
  return crypto.createHash('sha256').update(`${openid}\n${requestId}`).digest('hex').slice(0, 32);
}
