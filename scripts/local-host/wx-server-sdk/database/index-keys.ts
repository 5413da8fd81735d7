import { QueryCommand } from './command';
import { isPlainObject, type PlainObject } from './values';

/**
 * What an index can answer for a where() condition: the equalities among its top-level (ANDed) field
 * conditions. `{ f: v }`, `{ f: _.eq(v) }` and `{ f: _.in([...]) }` with scalar values each say "the
 * document has one of these values at f"; anything else (ranges, neq, null, which also matches a
 * missing field, or/and) gives no constraint and is left to the predicate.
 */

export interface Constraint {
  path: string;
  keys: string[];
}

/** Index key of a scalar (type-tagged, so 1 and "1" differ); undefined for what an index does not hold. */
export function indexKey(v: unknown): string | undefined {
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'number') return `n${v}`;
  if (typeof v === 'boolean') return v ? 'b1' : 'b0';
  if (v instanceof Date) return `d${v.getTime()}`;
  return undefined;
}

function keysOf(values: unknown[]): string[] | undefined {
  const keys = values.map(indexKey);
  return keys.every((k): k is string => k !== undefined) ? keys : undefined;
}

export function constraintsOf(cond: unknown, prefix = '', out: Constraint[] = []): Constraint[] {
  if (!isPlainObject(cond)) return out;
  for (const [key, v] of Object.entries(cond as PlainObject)) {
    const path = prefix ? `${prefix}.${key}` : key;
    let keys: string[] | undefined;
    if (isPlainObject(v) && Object.keys(v).length > 0) constraintsOf(v, path, out);
    else if (v instanceof QueryCommand && v.op === 'eq') keys = keysOf([v.operand]);
    else if (v instanceof QueryCommand && v.op === 'in') keys = keysOf(v.operand as unknown[]);
    else keys = keysOf([v]);
    if (keys) out.push({ path, keys });
  }
  return out;
}
