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

export type ParsedYuan = { ok: true; fen: number } | { ok: false; message: string };

/** At most ¥9,999,999,999.99: the result stays a safe integer without any big-number arithmetic. */
const MAX_YUAN_DIGITS = 10;

/**
 * Parses an amount the user typed in yuan ("12", "12.3", "12.30", ".5") into integer fen, by splitting
 * the digits: never through a float, so "0.1" is exactly 10 and "9.80" exactly 980. Refuses, with a
 * message for the page, anything that is not plainly a non-negative amount with at most two decimals:
 * "1.005" (a third decimal would be rounded away), "1,000" (thousands separator or decimal comma, we
 * cannot tell), signs, exponents, currency symbols and full-width digits.
 */
export function parseYuan(text: string): ParsedYuan {
  const t = text.trim();
  if (t === '') return { ok: false, message: '请输入金额' };
  if (/^[-－]/.test(t)) return { ok: false, message: '金额不能为负数' };
  const m = /^(\d*)(?:\.(\d*))?$/.exec(t);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return { ok: false, message: '请输入数字金额，如 12.50' };
  const whole = m[1].replace(/^0+(?=\d)/, '');
  const decimals = m[2] ?? '';
  if (decimals.length > 2) return { ok: false, message: '金额最多两位小数' };
  if (whole.length > MAX_YUAN_DIGITS) return { ok: false, message: '金额过大' };
  const cents = parseInt(`${decimals}00`.slice(0, 2), 10);
  return { ok: true, fen: (whole === '' ? 0 : parseInt(whole, 10)) * 100 + cents };
}
