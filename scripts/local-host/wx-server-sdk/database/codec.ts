import { isPlainObject } from './values';

/**
 * Documents are stored as JSON text with Dates written as `{"$date": "<ISO>"}` (the cloud console's
 * export form) and read back as Dates; field names cannot start with "$", so this cannot clash with data.
 */

function encode(v: unknown): unknown {
  if (v instanceof Date) return { $date: v.toISOString() };
  if (Array.isArray(v)) return v.map(encode);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = encode(v[k]);
    return out;
  }
  return v;
}

export function reviveDates(_key: string, v: unknown): unknown {
  if (isPlainObject(v) && typeof v.$date === 'string' && Object.keys(v).length === 1) return new Date(v.$date);
  return v;
}

export const encodeDoc = (doc: unknown): string => JSON.stringify(encode(doc));
export const decodeDoc = <T>(text: string): T => JSON.parse(text, reviveDates) as T;
