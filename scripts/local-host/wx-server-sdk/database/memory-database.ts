import { randomBytes } from 'node:crypto';
import type { Collection, Database, Doc, DocData, DocRef, Query, UpdateResult } from '../../../../cloudfunctions/common/db/types';
import { command, type DbCommand } from './command';
import { DatabaseError, ErrCode, invalidParam } from './errors';
import { CollectionFiles } from './files';
import { compileWhere, type Predicate } from './match';
import { applyUpdate, compileUpdate } from './update';
import { checkValue, cloneValue, isPlainObject, sortCompare, splitPath, valueAtPath, valuesEqual, type PlainObject } from './values';

/**
 * An in-memory cloud database with the documented server-SDK behaviour, optionally persisted to a
 * directory. Each call checks and copies its input when it is made, then runs as one synchronous step
 * after the caller's synchronous code: calls never interleave, so a conditional `where().update()`
 * is a real compare-and-set, and results are copies that callers may mutate freely.
 */

/** Server-side `get()` returns at most 100 documents unless `limit()` asks for more, up to 1000. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export interface LocalCollection extends Collection {
  where(cond: object): Query;
}

export interface LocalDatabase extends Database {
  readonly command: DbCommand;
  collection(name: string): LocalCollection;
  /** A copy of every document of a collection, in insertion order (for the sandbox console). */
  dump(name: string): Doc[];
  /** Collections that have been written to (or loaded from disk). */
  collectionNames(): string[];
}

export interface MemoryDatabaseOptions {
  /** Persist each collection as `<dir>/<name>.json`; existing files are loaded at creation. */
  dir?: string;
}

const COLLECTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Validates and copies input now, then runs `run` alone once the caller's synchronous code is done;
 * rejects instead of throwing. A promise job rather than a timer, so tests using jest's fake timers
 * still reach the database.
 */
function op<T>(prepare: () => () => T): Promise<T> {
  let run: () => T;
  try {
    run = prepare();
  } catch (err) {
    return Promise.reject(err);
  }
  return Promise.resolve().then(run);
}

function dataOf(opts: unknown, api: string): PlainObject {
  if (!isPlainObject(opts) || !isPlainObject(opts.data)) throw invalidParam(api, 'expected { data: { ... } }');
  return opts.data;
}

/** Stored documents are never mutated: writes replace them with new objects, then swap the map. */
class Store {
  private readonly collections = new Map<string, Map<string, Doc>>();

  constructor(private readonly files?: CollectionFiles) {
    for (const [name, docs] of files?.loadAll() ?? []) {
      this.collections.set(name, new Map(docs.map((d) => [d._id as string, d as Doc])));
    }
  }

  docs(name: string): Map<string, Doc> {
    return this.collections.get(name) ?? new Map();
  }

  /** Saves to disk first, so a failed write leaves both disk and memory as they were. */
  commit(name: string, docs: Map<string, Doc>): void {
    this.files?.save(name, [...docs.values()]);
    this.collections.set(name, docs);
  }

  names(): string[] {
    return [...this.collections.keys()];
  }
}

interface Order {
  segs: string[];
  dir: 1 | -1;
}

interface QueryState {
  where: Predicate;
  orders: Order[];
  limit?: number;
  skip?: number;
}

const matchAll: Predicate = () => true;

class QueryImpl implements Query {
  constructor(
    protected readonly store: Store,
    protected readonly name: string,
    protected readonly state: QueryState,
  ) {}

  private with(change: Partial<QueryState>): QueryImpl {
    return new QueryImpl(this.store, this.name, { ...this.state, ...change });
  }

  /** As in the real SDK, a later where() replaces an earlier one. */
  where(cond: object): Query {
    return this.with({ where: compileWhere(cond) });
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

  private matching(): Doc[] {
    return [...this.store.docs(this.name).values()].filter(this.state.where);
  }

  /** update/remove/count work on every match: the real API does not support skip/limit there. */
  private noPaging(api: string): void {
    if (this.state.limit !== undefined || this.state.skip !== undefined) {
      throw invalidParam(api, 'skip() and limit() are not supported here; narrow the where() condition instead');
    }
  }

  get(): Promise<{ data: Doc[]; errMsg: string }> {
    return op(() => () => {
      const { orders, skip = 0, limit = DEFAULT_LIMIT } = this.state;
      const docs = this.matching();
      if (orders.length > 0) {
        docs.sort((a, b) => {
          for (const o of orders) {
            const c = sortCompare(valueAtPath(a, o.segs), valueAtPath(b, o.segs));
            if (c !== 0) return c * o.dir;
          }
          return 0;
        });
      }
      return { data: docs.slice(skip, skip + limit).map(cloneValue), errMsg: 'collection.get:ok' };
    });
  }

  count(): Promise<{ total: number; errMsg: string }> {
    return op(() => {
      this.noPaging('collection.count');
      return () => ({ total: this.matching().length, errMsg: 'collection.count:ok' });
    });
  }

  update(opts: { data: DocData }): Promise<UpdateResult & { errMsg: string }> {
    const api = 'collection.update';
    return op(() => {
      this.noPaging(api);
      const updates = compileUpdate(dataOf(opts, api), api);
      return () => {
        const next = new Map(this.store.docs(this.name));
        let updated = 0;
        for (const doc of this.matching()) {
          const changed = cloneValue(doc);
          applyUpdate(changed, updates, api);
          // Like MongoDB's nModified: a document whose content did not change is not counted.
          if (!valuesEqual(changed, doc)) {
            next.set(doc._id, changed);
            updated++;
          }
        }
        if (updated > 0) this.store.commit(this.name, next);
        return { stats: { updated }, errMsg: `${api}:ok` };
      };
    });
  }

  remove(): Promise<{ stats: { removed: number }; errMsg: string }> {
    const api = 'collection.remove';
    return op(() => {
      this.noPaging(api);
      return () => {
        const next = new Map(this.store.docs(this.name));
        const gone = this.matching();
        for (const doc of gone) next.delete(doc._id);
        if (gone.length > 0) this.store.commit(this.name, next);
        return { stats: { removed: gone.length }, errMsg: `${api}:ok` };
      };
    });
  }
}

function newId(existing: Map<string, Doc>): string {
  let id: string;
  do id = randomBytes(16).toString('hex');
  while (existing.has(id));
  return id;
}

function checkId(id: unknown, api: string): asserts id is string {
  if (typeof id !== 'string' || id === '') throw invalidParam(api, `_id must be a non-empty string, got ${JSON.stringify(id)}`);
}

class CollectionImpl extends QueryImpl implements LocalCollection {
  constructor(store: Store, name: string) {
    super(store, name, { where: matchAll, orders: [] });
  }

  doc(id: string): DocRef {
    return new DocRefImpl(this.store, this.name, id);
  }

  add(opts: { data: DocData }): Promise<{ _id: string; errMsg: string }> {
    const api = 'collection.add';
    return op(() => {
      const data = dataOf(opts, api);
      if (data._id !== undefined) checkId(data._id, api);
      checkValue(data, api, '');
      const doc = cloneValue(data);
      return () => {
        const next = new Map(this.store.docs(this.name));
        const id = typeof doc._id === 'string' ? doc._id : newId(next);
        if (next.has(id)) {
          throw new DatabaseError(ErrCode.DUPLICATE_KEY, `${api}:fail E11000 duplicate key error: _id ${JSON.stringify(id)} already exists in ${this.name}`);
        }
        // _id comes first, as the console shows it; the server SDK adds no _openid.
        next.set(id, { _id: id, ...doc });
        this.store.commit(this.name, next);
        return { _id: id, errMsg: `${api}:ok` };
      };
    });
  }
}

class DocRefImpl implements DocRef {
  constructor(
    private readonly store: Store,
    private readonly name: string,
    private readonly id: string,
  ) {}

  get(): Promise<{ data: Doc; errMsg: string }> {
    const api = 'document.get';
    return op(() => {
      checkId(this.id, api);
      return () => {
        const doc = this.store.docs(this.name).get(this.id);
        if (!doc) throw new DatabaseError(ErrCode.FAIL, `${api}:fail cannot find document with _id ${this.id}, please make sure that the document exists`);
        return { data: cloneValue(doc), errMsg: `${api}:ok` };
      };
    });
  }

  set(opts: { data: DocData }): Promise<{ _id: string; stats: { updated: number; created: number }; errMsg: string }> {
    const api = 'document.set';
    return op(() => {
      checkId(this.id, api);
      const data = dataOf(opts, api);
      if (data._id !== undefined && data._id !== this.id) throw invalidParam(api, `data._id ${JSON.stringify(data._id)} differs from the document _id`);
      checkValue(data, api, '');
      const doc = cloneValue(data);
      delete doc._id;
      return () => {
        const next = new Map(this.store.docs(this.name));
        const existed = next.has(this.id);
        next.set(this.id, { _id: this.id, ...doc });
        this.store.commit(this.name, next);
        return { _id: this.id, stats: { updated: existed ? 1 : 0, created: existed ? 0 : 1 }, errMsg: `${api}:ok` };
      };
    });
  }

  update(opts: { data: DocData }): Promise<UpdateResult & { errMsg: string }> {
    const api = 'document.update';
    return op(() => {
      checkId(this.id, api);
      const updates = compileUpdate(dataOf(opts, api), api);
      return () => {
        const doc = this.store.docs(this.name).get(this.id);
        let updated = 0;
        if (doc) {
          const changed = cloneValue(doc);
          applyUpdate(changed, updates, api);
          if (!valuesEqual(changed, doc)) {
            this.store.commit(this.name, new Map(this.store.docs(this.name)).set(this.id, changed));
            updated = 1;
          }
        }
        return { stats: { updated }, errMsg: `${api}:ok` };
      };
    });
  }

  remove(): Promise<{ stats: { removed: number }; errMsg: string }> {
    const api = 'document.remove';
    return op(() => {
      checkId(this.id, api);
      return () => {
        const next = new Map(this.store.docs(this.name));
        const removed = next.delete(this.id) ? 1 : 0;
        if (removed) this.store.commit(this.name, next);
        return { stats: { removed }, errMsg: `${api}:ok` };
      };
    });
  }
}

export function createMemoryDatabase(opts: MemoryDatabaseOptions = {}): LocalDatabase {
  const store = new Store(opts.dir === undefined ? undefined : new CollectionFiles(opts.dir));
  const checkName = (name: string): void => {
    if (typeof name !== 'string' || !COLLECTION_NAME.test(name)) {
      throw invalidParam('database.collection', `collection name must be 1-64 letters, digits, "_" or "-", got ${JSON.stringify(name)}`);
    }
  };
  return {
    command,
    collection(name) {
      checkName(name);
      return new CollectionImpl(store, name);
    },
    dump(name) {
      checkName(name);
      return [...store.docs(name).values()].map(cloneValue);
    },
    collectionNames: () => store.names(),
  };
}
