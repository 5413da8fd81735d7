import { LogicCommand, QueryCommand, UpdateCommand, type UpdateOp } from './command';
import { invalidParam } from './errors';
import { checkValue, cloneValue, isPlainObject, setAtPath, splitPath, unsetAtPath, valueAtPath, type PlainObject } from './values';

/**
 * Compiles `update({ data })`: nested plain objects update only the fields they name (the documented
 * merge), `_.set(obj)` replaces a field whole, `_.remove()` deletes it, `_.inc(n)` adds to a number
 * atomically. Dot-notation keys (`'amount.total'`) address nested fields directly.
 */

export interface FieldUpdate {
  path: string;
  segs: string[];
  op: UpdateOp;
  value: unknown;
}

export function compileUpdate(data: unknown, api: string): FieldUpdate[] {
  if (!isPlainObject(data)) throw invalidParam(api, 'data must be an object');
  const out: FieldUpdate[] = [];
  collect(data, '', api, out);
  if (out.length === 0) throw invalidParam(api, 'data has no field to update');
  const paths = out.map((u) => u.path).sort();
  for (let i = 1; i < paths.length; i++) {
    if (paths[i] === paths[i - 1] || paths[i].startsWith(`${paths[i - 1]}.`)) {
      throw invalidParam(api, `conflicting updates of ${paths[i - 1]} and ${paths[i]}`);
    }
  }
  return out;
}

function collect(obj: PlainObject, prefix: string, api: string, out: FieldUpdate[]): void {
  for (const [key, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const segs = splitPath(path, api);
    if (segs[0] === '_id') throw invalidParam(api, '_id cannot be updated');
    if (v instanceof UpdateCommand) {
      out.push({ path, segs, op: v.op, value: v.operand });
    } else if (v instanceof QueryCommand || v instanceof LogicCommand) {
      throw invalidParam(api, `query command used as an update value for ${path}`);
    } else if (isPlainObject(v) && Object.keys(v).length > 0) {
      collect(v, path, api, out);
    } else {
      checkValue(v, api, path);
      out.push({ path, segs, op: 'set', value: cloneValue(v) });
    }
  }
}

/** Applies the updates to `doc` in place; throws (leaving the caller to discard `doc`) on a bad update. */
export function applyUpdate(doc: PlainObject, updates: FieldUpdate[], api: string): void {
  for (const u of updates) {
    switch (u.op) {
      case 'set':
        setAtPath(doc, u.segs, cloneValue(u.value), api);
        break;
      case 'remove':
        unsetAtPath(doc, u.segs);
        break;
      case 'inc': {
        const current = valueAtPath(doc, u.segs);
        // A missing field is created with the increment, as MongoDB's $inc does.
        if (current !== undefined && typeof current !== 'number') {
          throw invalidParam(api, `_.inc() on ${u.path}, which holds ${JSON.stringify(current)}, not a number`);
        }
        setAtPath(doc, u.segs, (current ?? 0) + (u.value as number), api);
        break;
      }
    }
  }
}
