/** Display helpers for amounts in fen. Integer math only: money never passes through a float. */

/** 1234 → "12.34", -5 → "-0.05". Throws on a non-integer, which would mean a bug upstream. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new TypeError(`amount must be an integer number of fen, got ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100);
  const cents = abs % 100;
  return `${sign}${yuan}.${cents < 10 ? '0' : ''}${cents}`;
}

/** "¥12.34" */
export function formatYuan(fen: number): string {
  return `¥${formatFen(fen)}`;
}
