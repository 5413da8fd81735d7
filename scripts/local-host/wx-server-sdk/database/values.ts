import { invalidParam } from './errors';

/**
 * Values the cloud database stores: String, Number, Object, Array, Bool, Date and Null (Geo types are
 * not supported here). Everything else is rejected, so data that would not survive the trip to the real
 * database fails locally too.
 */

export type PlainObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is PlainObject {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

const isValidDate = (v: unknown): v is Date => v instanceof Date && !Number.isNaN(v.getTime());

/** A single field name inside a stored document. */
export function checkFieldName(name: string, api: string, at: string): void {
  if (name === '' || name.startsWith('$') || name.includes('.')) {
    throw invalidParam(api, `field name ${JSON.stringify(name)} at ${at || '(top level)'} must be non-empty, not start with "$" and not contain "."`);
  }
}

/** Throws unless `v` is a storable value; `at` names the field for the error message. */
export function checkValue(v: unknown, api: string, at: string): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalidParam(api, `${at}: ${v} is not a storable number`);
    return;
  }
  if (v instanceof Date) {
    if (!isValidDate(v)) throw invalidParam(api, `${at}: invalid Date`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => checkValue(item, api, `${at}.${i}`));
    return;
  }
  if (isPlainObject(v)) {
    for (const [k, item] of Object.entries(v)) {
      checkFieldName(k, api, at);
      checkValue(item, api, at ? `${at}.${k}` : k);
    }
    return;
  }
  const kind = v === undefined ? 'undefined' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
  throw invalidParam(api, `${at || 'data'}: ${kind} is not a storable value (use string, number, boolean, null, Date, array or plain object)`);
}

/** Deep copy of a checked value; results and stored documents never share objects with callers. */
export function cloneValue<T>(v: T): T {
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (Array.isArray(v)) return v.map(cloneValue) as T;
  if (isPlainObject(v)) {
    const out: PlainObject = {};
    for (const [k, item] of Object.entries(v)) out[k] = cloneValue(item);
    return out as T;
  }
  return v;
}

/** Deep equality; object key order does not matter, Dates compare by time. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => valuesEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => has(b, k) && valuesEqual(a[k], b[k]));
  }
  return a === b;
}

/**
 * Order of types when sorting mixed values, as in MongoDB (which the cloud database runs on):
 * missing/null < numbers < strings < objects < arrays < booleans < dates.
 */
function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return 1;
  if (typeof v === 'string') return 2;
  if (isPlainObject(v)) return 3;
  if (Array.isArray(v)) return 4;
  if (typeof v === 'boolean') return 5;
  return 6;
}

/**
 * Range comparison (`_.gt` and friends) is only defined between values of the same type, as in MongoDB:
 * `_.gt(5)` never matches the string "6". Returns undefined when the two are not comparable.
 */
export function compareSameType(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return undefined;
}

/** Total order used by orderBy. */
export function sortCompare(a: unknown, b: unknown): number {
  const same = compareSameType(a, b);
  if (same !== undefined) return same;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  // Same rank but not directly comparable (objects, arrays, null vs missing): compare their JSON.
  const ja = JSON.stringify(a) ?? '';
  const jb = JSON.stringify(b) ?? '';
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

/** Splits a dot-notation field path (`'amount.total'`, `'items.0.price'`). */
export function splitPath(path: string, api: string): string[] {
  const segs = path.split('.');
  segs.forEach((s) => checkFieldName(s, api, path));
  return segs;
}

const isIndex = (seg: string): boolean => /^(0|[1-9]\d*)$/.test(seg);

/**
 * Every value reached by a path. Inside arrays a numeric segment picks an element, any other segment
 * looks into each element (so `'items.sku'` reaches the sku of every item). Missing fields add nothing.
 */
export function valuesAtPath(root: unknown, segs: string[]): unknown[] {
  let current: unknown[] = [root];
  for (const seg of segs) {
    const next: unknown[] = [];
    for (const v of current) {
      if (Array.isArray(v)) {
        if (isIndex(seg)) {
          if (Number(seg) < v.length) next.push(v[Number(seg)]);
        } else {
          for (const el of v) if (isPlainObject(el) && has(el, seg)) next.push(el[seg]);
        }
      } else if (isPlainObject(v) && has(v, seg)) {
        next.push(v[seg]);
      }
    }
    current = next;
  }
  return current;
}

/** The single value at a path without looking into array elements (used by orderBy and updates). */
export function valueAtPath(root: unknown, segs: string[]): unknown {
  let v: unknown = root;
  for (const seg of segs) {
    if (Array.isArray(v) && isIndex(seg)) v = v[Number(seg)];
    else if (isPlainObject(v) && has(v, seg)) v = v[seg];
    else return undefined;
  }
  return v;
}

/**
 * Sets a value at a path, creating intermediate objects. Fails, as MongoDB does, when the path runs
 * through a value that is not an object or array.
 */
export function setAtPath(root: PlainObject, segs: string[], value: unknown, api: string): void {
  let v: unknown = root;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i];
    if (Array.isArray(v) && isIndex(seg)) {
      const idx = Number(seg);
      if (idx >= v.length) {
        while (v.length < idx) v.push(null);
        v.push({});
      }
      v = v[idx];
    } else if (isPlainObject(v)) {
      if (!has(v, seg)) v[seg] = {};
      v = v[seg];
    } else {
      throw invalidParam(api, `cannot create field ${JSON.stringify(seg)} under ${segs.slice(0, i).join('.')}: it holds ${JSON.stringify(v)}`);
    }
  }
  const last = segs[segs.length - 1];
  if (Array.isArray(v) && isIndex(last)) {
    const idx = Number(last);
    // Filling the gap with nulls is what MongoDB does when setting past the end of an array.
    while (v.length < idx) v.push(null);
    v[idx] = value;
  } else if (isPlainObject(v)) {
    v[last] = value;
  } else {
    throw invalidParam(api, `cannot set field ${segs.join('.')}: its parent holds ${JSON.stringify(v)}`);
  }
}

/** Removes the field at a path; a missing field is left alone. */
export function unsetAtPath(root: PlainObject, segs: string[]): void {
  const parent = valueAtPath(root, segs.slice(0, -1));
  const last = segs[segs.length - 1];
  // MongoDB sets array elements to null on $unset instead of shifting the array.
  if (Array.isArray(parent) && isIndex(last)) {
    if (Number(last) < parent.length) parent[Number(last)] = null;
  } else if (isPlainObject(parent)) {
    delete parent[last];
  }
}
