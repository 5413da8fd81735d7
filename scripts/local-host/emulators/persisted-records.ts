import type { StateStore } from './state-file';
import type { EmulatedPayment } from './types';

/** What every emulator keeps per trade: the payment plus its own protocol details. */
export interface PaymentRecord {
  payment: EmulatedPayment;
}

export interface PersistedRecords<R extends PaymentRecord> {
  /** The records saved by the previous run (empty without a store or a saved state). */
  restored: R[];
  /**
   * Saves now; call after each change of state (and after each notification attempt). Naming the
   * records that changed writes just those; without, every record is looked at (changes to a restored
   * record are seen when made through the objects `restored` handed out).
   */
  save(...changed: R[]): void;
}

/**
 * Watches a restored record (plain JSON data) for changes made through it, at any depth, so a save
 * writes only the restored records that changed instead of comparing thousands of them each time.
 * Nested objects get one watcher each (cached), so identities stay stable.
 */
function watch<T extends object>(record: T, changed: () => void): T {
  const watchers = new WeakMap<object, object>();
  const wrap = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return v;
    let w = watchers.get(v);
    if (!w) {
      w = new Proxy(v, {
        get: (target, key, receiver) => wrap(Reflect.get(target, key, receiver)),
        set: (target, key, value, receiver) => {
          changed();
          return Reflect.set(target, key, value, receiver);
        },
        deleteProperty: (target, key) => {
          changed();
          return Reflect.deleteProperty(target, key);
        },
        defineProperty: (target, key, desc) => {
          changed();
          return Reflect.defineProperty(target, key, desc);
        },
      });
      watchers.set(v, w);
    }
    return w;
  };
  return wrap(record) as T;
}

/**
 * An emulator's records kept in an optional StateStore: restored once at creation (a payment id or
 * out_trade_no saved twice is refused, since one of them would be dropped), saved after each change.
 * A save writes the records that changed: restored ones changed since the last save, and those
 * created in this run whose content differs from what was saved.
 */
export function persistRecords<R extends PaymentRecord>(
  store: StateStore<R> | undefined,
  read: (saved: unknown) => R,
  all: () => R[],
): PersistedRecords<R> {
  // Restored records and their payments, by identity (a watcher's traps are not run to look them up):
  // an emulator may hand back a restored payment inside a record object it builds anew.
  const restoredIds = new WeakMap<object, string>();
  const dirty = new Set<string>();
  const save = (...named: R[]) => {
    if (!store) return;
    const records = all();
    const changed =
      named.length > 0
        ? named
        : records.filter((r) => {
            const id = restoredIds.get(r) ?? restoredIds.get(r.payment);
            return id === undefined || dirty.has(id);
          });
    store.save(records, changed);
    if (named.length === 0) dirty.clear();
  };

  const ids = new Set<string>();
  const outTradeNos = new Set<string>();
  const restored =
    store?.load((saved) => {
      const r = read(saved);
      const { id, outTradeNo } = r.payment;
      if (ids.has(id)) throw new Error(`payment id ${id} appears twice`);
      if (outTradeNos.has(outTradeNo)) throw new Error(`out_trade_no ${outTradeNo} appears twice`);
      ids.add(id);
      outTradeNos.add(outTradeNo);
      const watched = watch(r, () => dirty.add(id));
      restoredIds.set(watched, id);
      restoredIds.set(watched.payment, id);
      return watched;
    }) ?? [];
  return { restored, save };
}
