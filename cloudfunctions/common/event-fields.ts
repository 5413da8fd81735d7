import { invalidArgument } from './errors';

/** Readers of event fields that throw INVALID_ARGUMENT naming the field. */

/** Ids the client sends (order, sku, request ids): 1–64 letters, digits, _ or -. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function id(e: Record<string, unknown>, field: string): string {
  const v = e[field];
  if (typeof v !== 'string' || !ID_PATTERN.test(v)) throw invalidArgument(`${field} must be a string of 1–64 letters, digits, _ or -.`);
  return v;
}

/** Free text: trimmed, 1–max characters, no control characters. */
export function text(e: Record<string, unknown>, field: string, max: number): string {
  const v = e[field];
  const t = typeof v === 'string' ? v.trim() : '';
  if (!t || [...t].length > max || /[\u0000-\u001f\u007f]/.test(t)) throw invalidArgument(`${field} must be 1–${max} characters of text.`);
  return t;
}

export function optionalText(e: Record<string, unknown>, field: string, max: number): string | undefined {
  return e[field] === undefined ? undefined : text(e, field, max);
}

/** A whole number of fen from min to max. */
export function fen(e: Record<string, unknown>, field: string, min: number, max: number): number {
  const v = e[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw invalidArgument(`${field} must be a whole number of fen from ${min} to ${max}.`);
  return v;
}
