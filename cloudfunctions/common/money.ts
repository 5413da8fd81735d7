/**
 * Where an amount from outside (a provider's `total_fee`, `amount.total`) becomes fen: a positive JSON
 * integer, or a string of digits with no sign, point, exponent or leading zero. Anything else is
 * undefined: an amount is never guessed, and never goes through a float.
 */
export function parseFen(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}
