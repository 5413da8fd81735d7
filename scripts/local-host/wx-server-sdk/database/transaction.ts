import type { Doc, DocData, Transaction, TransactionCollection, TransactionDocRef, UpdateResult } from '../../../../cloudfunctions/common/db/types';
import { duplicateKey, invalidParam } from './errors';
import { addedDoc, checkCollectionName, checkId, dataOf, notFound, op, type Backend } from './calls';
import { ConflictError, type Change, type Expectation } from './sqlite-store';
import { applyUpdate, compileUpdate } from './update';
import { checkValue, cloneValue, valuesEqual } from './values';

/**
 * `db.runTransaction(callback, times = 3)` as documented for wx-server-sdk: the callback gets a
 * `transaction` whose `collection(name)` offers `doc(id).get/set/update/remove` and `add` (single
 * documents only: no where()); when the callback returns, its writes are committed all together, and
 * runTransaction resolves with what it returned. A throw, or `transaction.rollback(reason)`, discards
 * every write and rejects with the error or the reason. Writes are invisible to everyone else until the
 * commit.
 *
 * Isolation is checked at commit (optimistic): every document the transaction read or wrote must still
 * be as it first saw it, else nothing is written and the callback runs again, up to `times` attempts
 * ("只有事务冲突时会重试"). Inferred: the cloud database locks a document a transaction writes and makes
 * others wait; here a concurrent writer goes first and the transaction is the one that retries. The
 * outcome is the same: no write is lost and no transaction commits on stale reads. The commit is one
 * SQLite transaction, so a crash leaves all of it or none of it.
 */

export interface LocalTransactionApi {
  runTransaction<T>(callback: (transaction: Transaction) => Promise<T>, times?: number): Promise<T>;
}

interface Touched {
  coll: string;
  id: string;
  /** As first seen (rid 0: absent). */
  rid: number;
  ver: number;
  before: Doc | null;
  doc: Doc | null;
  dirty: boolean;
}

class Attempt {
  private readonly touched = new Map<string, Touched>();
  finished = false;
  rolledBack = false;
  reason: unknown;

  constructor(private readonly backend: Backend) {}

  /** The document as this transaction sees it: its own writes, else the committed one (remembered). */
  view(coll: string, id: string): Touched {
    const key = `${coll}\u0000${id}`;
    let t = this.touched.get(key);
    if (!t) {
      const s = this.backend.store.byId(coll, id);
      t = { coll, id, rid: s?.rid ?? 0, ver: s?.ver ?? 0, before: s?.doc ?? null, doc: s?.doc ?? null, dirty: false };
      this.touched.set(key, t);
    }
    return t;
  }

  /** A transaction call: refused once the transaction is over, otherwise queued like any database call. */
  call<T>(api: string, prepare: () => () => T): Promise<T> {
    return op(() => {
      if (this.finished) throw invalidParam(api, 'the transaction has already been committed or rolled back');
      const run = prepare();
      return () => {
        if (this.finished) throw invalidParam(api, 'the transaction has already been committed or rolled back');
        return run();
      };
    });
  }

  changes(): { changes: Change[]; expect: Expectation[] } {
    const changes: Change[] = [];
    const expect: Expectation[] = [];
    for (const t of this.touched.values()) {
      expect.push({ coll: t.coll, id: t.id, rid: t.rid, ver: t.ver });
      if (!t.dirty) continue;
      if (t.doc && t.rid) changes.push({ kind: 'replace', coll: t.coll, rid: t.rid, doc: t.doc, before: t.before ?? undefined });
      else if (t.doc) changes.push({ kind: 'insert', coll: t.coll, doc: t.doc });
      else if (t.rid) changes.push({ kind: 'delete', coll: t.coll, rid: t.rid });
    }
    return { changes, expect };
  }
}

function docRef(a: Attempt, backend: Backend, coll: string, id: string): TransactionDocRef {
  return {
    get() {
      const api = 'transaction.document.get';
      backend.counts.add('read');
      return a.call(api, () => {
        checkId(id, api);
        return () => {
          const t = a.view(coll, id);
          if (!t.doc) throw notFound(api, id);
          return { data: cloneValue(t.doc), errMsg: `${api}:ok` };
        };
      });
    },
    set(opts: { data: DocData }) {
      const api = 'transaction.document.set';
      backend.counts.add('write');
      return a.call(api, () => {
        checkId(id, api);
        const data = dataOf(opts, api);
        if (data._id !== undefined && data._id !== id) throw invalidParam(api, `data._id ${JSON.stringify(data._id)} differs from the document _id`);
        checkValue(data, api, '');
        const doc = cloneValue(data);
        delete doc._id;
        return () => {
          const t = a.view(coll, id);
          const existed = t.doc !== null;
          t.doc = { _id: id, ...doc } as Doc;
          t.dirty = true;
          return { _id: id, stats: { updated: existed ? 1 : 0, created: existed ? 0 : 1 }, errMsg: `${api}:ok` };
        };
      });
    },
    update(opts: { data: DocData }): Promise<UpdateResult & { errMsg: string }> {
      const api = 'transaction.document.update';
      backend.counts.add('write');
      return a.call(api, () => {
        checkId(id, api);
        const updates = compileUpdate(dataOf(opts, api), api);
        return () => {
          const t = a.view(coll, id);
          if (!t.doc) return { stats: { updated: 0 }, errMsg: `${api}:ok` };
          const changed = cloneValue(t.doc);
          applyUpdate(changed, updates, api);
          if (valuesEqual(changed, t.doc)) return { stats: { updated: 0 }, errMsg: `${api}:ok` };
          t.doc = changed;
          t.dirty = true;
          return { stats: { updated: 1 }, errMsg: `${api}:ok` };
        };
      });
    },
    remove() {
      const api = 'transaction.document.remove';
      backend.counts.add('write');
      return a.call(api, () => {
        checkId(id, api);
        return () => {
          const t = a.view(coll, id);
          const removed = t.doc ? 1 : 0;
          t.doc = null;
          t.dirty = true;
          return { stats: { removed }, errMsg: `${api}:ok` };
        };
      });
    },
  };
}

function transactionOf(a: Attempt, backend: Backend): Transaction {
  return {
    collection(name: string): TransactionCollection {
      checkCollectionName(name);
      return {
        doc: (id: string) => docRef(a, backend, name, id),
        add(opts: { data: DocData }) {
          const api = 'transaction.collection.add';
          backend.counts.add('write');
          return a.call(api, () => {
            const doc = addedDoc(opts, api);
            return () => {
              const t = a.view(name, doc._id);
              if (t.doc) throw duplicateKey(api, name, doc._id);
              t.doc = doc;
              t.dirty = true;
              return { _id: doc._id, errMsg: `${api}:ok` };
            };
          });
        },
      };
    },
    rollback(reason?: unknown) {
      return a.call('transaction.rollback', () => () => {
        a.rolledBack = true;
        a.reason = reason;
        a.finished = true;
      });
    },
  };
}

export async function runTransaction<T>(backend: Backend, callback: (transaction: Transaction) => Promise<T>, times = 3): Promise<T> {
  if (typeof callback !== 'function') throw invalidParam('database.runTransaction', 'callback must be an async function');
  if (!Number.isInteger(times) || times < 1) throw invalidParam('database.runTransaction', `times must be a positive integer, got ${times}`);
  for (let attempt = 1; ; attempt++) {
    backend.counts.add('transaction');
    const a = new Attempt(backend);
    let result: T;
    try {
      result = await callback(transactionOf(a, backend));
    } catch (e) {
      a.finished = true;
      throw a.rolledBack ? a.reason : e;
    }
    if (a.rolledBack) throw a.reason;
    try {
      await op(() => () => {
        a.finished = true;
        const { changes, expect } = a.changes();
        if (changes.length > 0) backend.store.commit(changes, expect);
      });
      return result;
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= times) throw e;
    }
  }
}
