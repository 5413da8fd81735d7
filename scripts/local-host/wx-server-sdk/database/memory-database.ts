import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Collection, Database, Doc, DocData, DocRef, Query, UpdateResult } from '../../../../cloudfunctions/common/db/types';
import { CallCounter, type CallCounts } from './call-counts';
import { addedDoc, checkCollectionName, checkId, dataOf, notFound, op, type Backend } from './calls';
import { command, type DbCommand } from './command';
import { invalidParam } from './errors';
import { constraintsOf, type Constraint } from './index-keys';
import { markImported, readLegacyCollections } from './legacy-files';
import { compileWhere, type Predicate } from './match';
import { SqliteStore, type IndexSpec, type StoredDoc } from './sqlite-store';
import { runTransaction, type LocalTransactionApi } from './transaction';
import { applyUpdate, compileUpdate } from './update';
import { checkValue, cloneValue, sortCompare, splitPath, valueAtPath, valuesEqual } from './values';

/**
 * The cloud database with the documented server-SDK behaviour, on SQLite (in memory, or in
 * `<dir>/database.sqlite`). Each call checks and copies its input when it is made, then runs as one
 * synchronous step (one SQLite transaction for a write) after the caller's synchronous code: calls never
 * interleave, so a conditional `where().update()` is a real compare-and-set, and results are fresh
 * objects that callers may mutate freely.
 */

/** Server-side `get()` returns at most 100 documents unless `limit()` asks for more, up to 1000. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/**
 * The indexes the README asks for on `orders` in the cloud console; `_id` is always indexed. Queries on
 * other fields scan their collection, as they would in the cloud.
 */
export const DEFAULT_INDEXES: IndexSpec = { orders: ['outTradeNo', '_openid', 'status'] };

export interface LocalCollection extends Collection {
  where(cond: object): Query;
}

export interface LocalDatabase extends Database, LocalTransactionApi {
  readonly command: DbCommand;
  collection(name: string): LocalCollection;
  /** A copy of every document of a collection, in insertion order (for the sandbox console). */
  dump(name: string): Doc[];
  /** Collections that have been written to (or loaded from disk). */
  collectionNames(): string[];
  /** Database calls made so far, by kind (each one a network round trip in the cloud). */
  callCounts(): CallCounts;
  /** Closes the database file; later calls fail. */
  close(): void;
}

export interface MemoryDatabaseOptions {
  /** Keep the documents in `<dir>/database.sqlite` (created when missing) instead of in memory. */
  dir?: string;
  /** Field paths to index per collection (default DEFAULT_INDEXES). */
  indexes?: IndexSpec;
}

interface Order {
  segs: string[];
  dir: 1 | -1;
}

interface QueryState {
  where: Predicate;
  constraints: Constraint[];
  orders: Order[];
  limit?: number;
  skip?: number;
}

const matchAll: Predicate = () => true;

class QueryImpl implements Query {
  constructor(
    protected readonly backend: Backend,
    protected readonly name: string,
    protected readonly state: QueryState,
  ) {}

  private with(change: Partial<QueryState>): QueryImpl {
    return new QueryImpl(this.backend, this.name, { ...this.state, ...change });
  }

  /** As in the real SDK, a later where() replaces an earlier one. */
  where(cond: object): Query {
    return this.with({ where: compileWhere(cond), constraints: constraintsOf(cond) });
  }

  orderBy(field: string, order: 'asc' | 'desc'): Query {
    if (order !== 'asc' && order !== 'desc') throw invalidParam('collection.orderBy', `order must be "asc" or "desc", got ${JSON.stringify(order)}`);
    const segs = splitPath(field, 'collection.orderBy');
    return this.with({ orders: [...this.state.orders, { segs, dir: order === 'asc' ? 1 : -1 }] });
  }

  limit(n: number): Query {
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw invalidParam('collection.limit', `limit must be an integer from 1 to ${MAX_LIMIT}, got ${n}`);
    return this.with({ limit: n });
  }

  skip(n: number): Query {
    if (!Number.isInteger(n) || n < 0) throw invalidParam('collection.skip', `skip must be a non-negative integer, got ${n}`);
    return this.with({ skip: n });
  }

  private matching(): StoredDoc[] {
    return this.backend.store.candidates(this.name, this.state.constraints).filter((s) => this.state.where(s.doc));
  }

  /** update/remove/count work on every match: the real API does not support skip/limit there. */
  private noPaging(api: string): void {
    if (this.state.limit !== undefined || this.state.skip !== undefined) {
      throw invalidParam(api, 'skip() and limit() are not supported here; narrow the where() condition instead');
    }
  }

  get(): Promise<{ data: Doc[]; errMsg: string }> {
    this.backend.counts.add('query');
    return op(() => () => {
      const { orders, skip = 0, limit = DEFAULT_LIMIT } = this.state;
      const docs = this.matching().map((s) => s.doc);
      if (orders.length > 0) {
        docs.sort((a, b) => {
          for (const o of orders) {
            const c = sortCompare(valueAtPath(a, o.segs), valueAtPath(b, o.segs));
            if (c !== 0) return c * o.dir;
          }
          return 0;
        });
      }
      return { data: docs.slice(skip, skip + limit), errMsg: 'collection.get:ok' };
    });
  }

  count(): Promise<{ total: number; errMsg: string }> {
    this.backend.counts.add('query');
    return op(() => {
      this.noPaging('collection.count');
      return () => ({ total: this.matching().length, errMsg: 'collection.count:ok' });
    });
  }

  update(opts: { data: DocData }): Promise<UpdateResult & { errMsg: string }> {
    const api = 'collection.update';
    this.backend.counts.add('write');
    return op(() => {
      this.noPaging(api);
      const updates = compileUpdate(dataOf(opts, api), api);
      return () => {
        const changes = [];
        for (const s of this.matching()) {
          const changed = cloneValue(s.doc);
          applyUpdate(changed, updates, api);
          // Like MongoDB's nModified: a document whose content did not change is not counted.
          if (!valuesEqual(changed, s.doc)) changes.push({ kind: 'replace' as const, coll: this.name, rid: s.rid, doc: changed, before: s.doc });
        }
        if (changes.length > 0) this.backend.store.commit(changes);
        return { stats: { updated: changes.length }, errMsg: `${api}:ok` };
      };
    });
  }

  remove(): Promise<{ stats: { removed: number }; errMsg: string }> {
    const api = 'collection.remove';
    this.backend.counts.add('write');
    return op(() => {
      this.noPaging(api);
      return () => {
        const gone = this.matching();
        if (gone.length > 0) this.backend.store.commit(gone.map((s) => ({ kind: 'delete' as const, coll: this.name, rid: s.rid })));
        return { stats: { removed: gone.length }, errMsg: `${api}:ok` };
      };
    });
  }
}

class CollectionImpl extends QueryImpl implements LocalCollection {
  constructor(backend: Backend, name: string) {
    super(backend, name, { where: matchAll, constraints: [], orders: [] });
  }

  doc(id: string): DocRef {
    return new DocRefImpl(this.backend, this.name, id);
  }

  add(opts: { data: DocData }): Promise<{ _id: string; errMsg: string }> {
    const api = 'collection.add';
    this.backend.counts.add('write');
    return op(() => {
      const doc = addedDoc(opts, api);
      return () => {
        this.backend.store.commit([{ kind: 'insert', coll: this.name, doc }]);
        return { _id: doc._id, errMsg: `${api}:ok` };
      };
    });
  }
}

class DocRefImpl implements DocRef {
  constructor(
    private readonly backend: Backend,
    private readonly name: string,
    private readonly id: string,
  ) {}

  get(): Promise<{ data: Doc; errMsg: string }> {
    const api = 'document.get';
    this.backend.counts.add('read');
    return op(() => {
      checkId(this.id, api);
      return () => {
        const s = this.backend.store.byId(this.name, this.id);
        if (!s) throw notFound(api, this.id);
        return { data: s.doc, errMsg: `${api}:ok` };
      };
    });
  }

  set(opts: { data: DocData }): Promise<{ _id: string; stats: { updated: number; created: number }; errMsg: string }> {
    const api = 'document.set';
    this.backend.counts.add('write');
    return op(() => {
      checkId(this.id, api);
      const data = dataOf(opts, api);
      if (data._id !== undefined && data._id !== this.id) throw invalidParam(api, `data._id ${JSON.stringify(data._id)} differs from the document _id`);
      checkValue(data, api, '');
      const doc = cloneValue(data);
      delete doc._id;
      return () => {
        const existing = this.backend.store.byId(this.name, this.id);
        const next = { _id: this.id, ...doc };
        this.backend.store.commit([existing ? { kind: 'replace', coll: this.name, rid: existing.rid, doc: next, before: existing.doc } : { kind: 'insert', coll: this.name, doc: next }]);
        return { _id: this.id, stats: { updated: existing ? 1 : 0, created: existing ? 0 : 1 }, errMsg: `${api}:ok` };
      };
    });
  }

  update(opts: { data: DocData }): Promise<UpdateResult & { errMsg: string }> {
    const api = 'document.update';
    this.backend.counts.add('write');
    return op(() => {
      checkId(this.id, api);
      const updates = compileUpdate(dataOf(opts, api), api);
      return () => {
        const s = this.backend.store.byId(this.name, this.id);
        let updated = 0;
        if (s) {
          const changed = cloneValue(s.doc);
          applyUpdate(changed, updates, api);
          if (!valuesEqual(changed, s.doc)) {
            this.backend.store.commit([{ kind: 'replace', coll: this.name, rid: s.rid, doc: changed, before: s.doc }]);
            updated = 1;
          }
        }
        return { stats: { updated }, errMsg: `${api}:ok` };
      };
    });
  }

  remove(): Promise<{ stats: { removed: number }; errMsg: string }> {
    const api = 'document.remove';
    this.backend.counts.add('write');
    return op(() => {
      checkId(this.id, api);
      return () => {
        const s = this.backend.store.byId(this.name, this.id);
        if (s) this.backend.store.commit([{ kind: 'delete', coll: this.name, rid: s.rid }]);
        return { stats: { removed: s ? 1 : 0 }, errMsg: `${api}:ok` };
      };
    });
  }
}

function openStore(opts: MemoryDatabaseOptions): SqliteStore {
  const indexes = opts.indexes ?? DEFAULT_INDEXES;
  if (opts.dir === undefined) return new SqliteStore(':memory:', indexes);
  fs.mkdirSync(opts.dir, { recursive: true });
  const legacy = readLegacyCollections(opts.dir);
  const store = new SqliteStore(path.join(opts.dir, 'database.sqlite'), indexes);
  if (legacy.size > 0) {
    store.commit([...legacy].flatMap(([coll, docs]) => docs.map((doc) => ({ kind: 'insert' as const, coll, doc: doc as Doc }))));
    markImported(opts.dir, legacy.keys());
  }
  return store;
}

export function createMemoryDatabase(opts: MemoryDatabaseOptions = {}): LocalDatabase {
  const backend: Backend = { store: openStore(opts), counts: new CallCounter() };
  return {
    command,
    collection(name) {
      checkCollectionName(name);
      return new CollectionImpl(backend, name);
    },
    runTransaction: (callback, times) => runTransaction(backend, callback, times),
    dump(name) {
      checkCollectionName(name);
      return backend.store.all(name).map((s) => s.doc);
    },
    collectionNames: () => backend.store.names(),
    callCounts: () => backend.counts.snapshot(),
    close: () => backend.store.close(),
  };
}
