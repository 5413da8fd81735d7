import { LogicCommand, QueryCommand, UpdateCommand } from './command';
import { invalidParam, unsupported } from './errors';
import { checkValue, cloneValue, compareSameType, isPlainObject, splitPath, valuesAtPath, valuesEqual, type PlainObject } from './values';

/**
 * Compiles a `where()` condition into a predicate. Semantics follow the documented cloud database
 * (MongoDB underneath): keys of one object are ANDed; nested plain objects match nested fields (same as
 * dot notation); a plain value on an array field matches the array itself or any element; `_.neq`/`_.nin`
 * also match documents where the field is missing; `_.eq(null)` matches null or missing.
 */

export type Predicate = (doc: PlainObject) => boolean;

const API = 'collection.where';

export function compileWhere(cond: unknown): Predicate {
  if (cond instanceof LogicCommand) return combine(cond.op, cond.operands.map(compileWhere));
  if (!isPlainObject(cond)) throw invalidParam(API, 'where() takes an object of conditions or _.and/_.or of such objects');
  return compileObject(cond, '');
}

function combine(op: 'and' | 'or', preds: Predicate[]): Predicate {
  return op === 'and' ? (doc) => preds.every((p) => p(doc)) : (doc) => preds.some((p) => p(doc));
}

function compileObject(obj: PlainObject, prefix: string): Predicate {
  const preds = Object.entries(obj).map(([key, cond]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    if (key.startsWith('$')) throw unsupported(API, `raw operator ${JSON.stringify(key)} at ${path}; build conditions with db.command`);
    // A nested plain object is a set of conditions on nested fields, not an exact-object match (use _.eq).
    if (isPlainObject(cond) && Object.keys(cond).length > 0) return compileObject(cond, path);
    return compileField(path, cond);
  });
  return combine('and', preds);
}

function compileField(path: string, cond: unknown): Predicate {
  const segs = splitPath(path, API);
  if (cond instanceof QueryCommand) {
    const test = fieldTest(cond.op, cond.operand);
    return (doc) => test(valuesAtPath(doc, segs));
  }
  if (cond instanceof LogicCommand) {
    return combine(
      cond.op,
      cond.operands.map((c) => (isPlainObject(c) && Object.keys(c).length > 0 ? compileObject(c, path) : compileField(path, c))),
    );
  }
  if (cond instanceof UpdateCommand) throw invalidParam(API, `update command _.${cond.op}() used as a query condition on ${path}`);
  if (cond instanceof RegExp) throw unsupported(API, `regular expression condition on ${path}`);
  checkValue(cond, API, path);
  const test = fieldTest('eq', cloneValue(cond));
  return (doc) => test(valuesAtPath(doc, segs));
}

/** The values a condition is tested against: what the path reached, plus the elements of reached arrays. */
export const candidates = (found: unknown[]): unknown[] => found.flatMap((v) => (Array.isArray(v) ? [v, ...v] : [v]));

function equalsAny(found: unknown[], x: unknown): boolean {
  if (x === null && found.length === 0) return true;
  return candidates(found).some((v) => valuesEqual(v, x));
}

function range(found: unknown[], x: unknown, ok: (c: number) => boolean): boolean {
  return candidates(found).some((v) => {
    const c = compareSameType(v, x);
    return c !== undefined && ok(c);
  });
}

function fieldTest(op: QueryCommand['op'], x: unknown): (found: unknown[]) => boolean {
  switch (op) {
    case 'eq':
      return (found) => equalsAny(found, x);
    case 'neq':
      return (found) => !equalsAny(found, x);
    case 'gt':
      return (found) => range(found, x, (c) => c > 0);
    case 'gte':
      return (found) => range(found, x, (c) => c >= 0);
    case 'lt':
      return (found) => range(found, x, (c) => c < 0);
    case 'lte':
      return (found) => range(found, x, (c) => c <= 0);
    case 'in':
      return (found) => (x as unknown[]).some((item) => equalsAny(found, item));
    case 'nin':
      return (found) => !(x as unknown[]).some((item) => equalsAny(found, item));
    case 'exists':
      return (found) => found.length > 0 === x;
  }
}
