/**
 * The part of the cloud database API (wx-server-sdk `cloud.database()`) this project uses, as
 * documented. The production code is written against it; the real SDK satisfies it in the cloud and
 * the local stand-in (scripts/local-host/wx-server-sdk) satisfies it on your machine and in tests.
 */

export type DocData = Record<string, unknown>;
export type Doc = DocData & { _id: string };

/** Query conditions: field values or command expressions (`_.gte(1)`, `_.in([...])`). */
export type Where = Record<string, unknown>;

export interface UpdateResult {
  stats: { updated: number };
}

export interface Query {
  where(cond: Where): Query;
  orderBy(field: string, order: 'asc' | 'desc'): Query;
  limit(n: number): Query;
  skip(n: number): Query;
  get(): Promise<{ data: Doc[] }>;
  count(): Promise<{ total: number }>;
  /** Updates every matching document (server SDK semantics); `stats.updated` tells how many changed. */
  update(opts: { data: DocData }): Promise<UpdateResult>;
  remove(): Promise<{ stats: { removed: number } }>;
}

export interface DocRef {
  /** Rejects when the document does not exist. */
  get(): Promise<{ data: Doc }>;
  set(opts: { data: DocData }): Promise<{ _id: string; stats: { updated: number; created: number } }>;
  update(opts: { data: DocData }): Promise<UpdateResult>;
  remove(): Promise<{ stats: { removed: number } }>;
}

export interface Collection extends Query {
  doc(id: string): DocRef;
  /** Rejects when `data._id` is given and already exists. */
  add(opts: { data: DocData }): Promise<{ _id: string }>;
}

/** Opaque command tokens understood by the database. */
export interface Command {
  eq(v: unknown): unknown;
  neq(v: unknown): unknown;
  gt(v: unknown): unknown;
  gte(v: unknown): unknown;
  lt(v: unknown): unknown;
  lte(v: unknown): unknown;
  in(v: unknown[]): unknown;
  nin(v: unknown[]): unknown;
  exists(v: boolean): unknown;
  /** Every / any of the conditions (where objects, or field conditions at field level). */
  and(conds: unknown[]): unknown;
  or(conds: unknown[]): unknown;
  inc(n: number): unknown;
  /** Replaces a field's value as a whole (a plain object in an update is merged into the stored one). */
  set(v: unknown): unknown;
  remove(): unknown;
}

/** A document inside a transaction: single-document operations only. */
export interface TransactionDocRef {
  /** Rejects when the document does not exist. */
  get(): Promise<{ data: Doc }>;
  set(opts: { data: DocData }): Promise<{ _id: string; stats: { updated: number; created: number } }>;
  update(opts: { data: DocData }): Promise<UpdateResult>;
  remove(): Promise<{ stats: { removed: number } }>;
}

/** A collection inside a transaction: no where(), no batch operations (documented limit). */
export interface TransactionCollection {
  doc(id: string): TransactionDocRef;
  add(opts: { data: DocData }): Promise<{ _id: string }>;
}

export interface Transaction {
  collection(name: string): TransactionCollection;
  /** Ends the transaction, discarding its writes; runTransaction then rejects with `reason`. */
  rollback(reason?: unknown): Promise<void>;
}

export interface Database {
  collection(name: string): Collection;
  readonly command: Command;
  /**
   * Runs `callback` as one transaction: its writes are committed together when it returns (the result
   * resolves runTransaction), or none of them when it throws or calls `transaction.rollback(reason)`
   * (runTransaction rejects with the error or the reason). On a conflict with a concurrent writer the
   * callback runs again, up to `times` attempts in all (default 3), so it must not have other effects.
   */
  runTransaction<T>(callback: (transaction: Transaction) => Promise<T>, times?: number): Promise<T>;
}
