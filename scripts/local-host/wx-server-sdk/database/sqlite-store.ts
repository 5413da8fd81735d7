import Sqlite from 'better-sqlite3';
import type { Doc } from '../../../../cloudfunctions/common/db/types';
import { decodeDoc, encodeDoc } from './codec';
import { DatabaseError, duplicateKey, ErrCode } from './errors';
import { indexKey, type Constraint } from './index-keys';
import { candidates } from './match';
import { valuesAtPath } from './values';

/**
 * The stand-in's documents in SQLite (better-sqlite3): one row per document, written and indexed one
 * document at a time inside SQLite transactions. WAL with synchronous=NORMAL: a commit is in the log
 * before the call answers, so it survives the process being killed; a power cut can lose the last
 * commits but never tears one.
 *
 * Indexes are declared per collection and field path, like the cloud console's. An index holds one
 * entry per scalar value the path reaches (array elements included: the values a where() condition is
 * tested against), so looking up an equality narrows a query to a superset of its matches; the full
 * where() predicate then decides, and the semantics stay those of match.ts.
 */

export interface StoredDoc {
  rid: number;
  /** Bumped on every write: what a transaction checks at commit to detect a concurrent writer. */
  ver: number;
  doc: Doc;
}

export type Change =
  | { kind: 'insert'; coll: string; doc: Doc }
  /** `before`, when given, lets an update change only the index entries whose values changed. */
  | { kind: 'replace'; coll: string; rid: number; doc: Doc; before?: Doc }
  | { kind: 'delete'; coll: string; rid: number };

/** A document a transaction read or wrote, as it saw it (rid 0: it did not exist). */
export interface Expectation {
  coll: string;
  id: string;
  rid: number;
  ver: number;
}

export type IndexSpec = Record<string, string[]>;

interface Row {
  rid: number;
  ver: number;
  data: string;
}

export class ConflictError extends DatabaseError {}

export class SqliteStore {
  private readonly db: Sqlite.Database;
  private readonly paths = new Map<string, { path: string; segs: string[] }[]>();
  private readonly stmt;
  private readonly commitTx: (changes: Change[], expect: Expectation[]) => number[];

  constructor(file: string, indexes: IndexSpec) {
    this.db = new Sqlite(file);
    if (file !== ':memory:') {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY);
      CREATE TABLE IF NOT EXISTS docs (rid INTEGER PRIMARY KEY, coll TEXT NOT NULL, id TEXT NOT NULL, ver INTEGER NOT NULL, data TEXT NOT NULL, UNIQUE (coll, id));
      CREATE TABLE IF NOT EXISTS entries (coll TEXT NOT NULL, path TEXT NOT NULL, key TEXT NOT NULL, rid INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS entries_by_key ON entries (coll, path, key);
      CREATE INDEX IF NOT EXISTS entries_by_doc ON entries (rid);
      CREATE TABLE IF NOT EXISTS indexes (coll TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (coll, path));
    `);
    const db = this.db;
    this.stmt = {
      byId: db.prepare<[string, string], Row>('SELECT rid, ver, data FROM docs WHERE coll = ? AND id = ?'),
      verOf: db.prepare<[string, string], { rid: number; ver: number }>('SELECT rid, ver FROM docs WHERE coll = ? AND id = ?'),
      all: db.prepare<[string], Row>('SELECT rid, ver, data FROM docs WHERE coll = ? ORDER BY rid'),
      byKey: db.prepare<[string, string, string], Row>(
        'SELECT d.rid, d.ver, d.data FROM entries e JOIN docs d ON d.rid = e.rid WHERE e.coll = ? AND e.path = ? AND e.key = ?',
      ),
      countKey: db.prepare<[string, string, string], { n: number }>('SELECT count(*) AS n FROM entries WHERE coll = ? AND path = ? AND key = ?'),
      insert: db.prepare<[string, string, string]>('INSERT INTO docs (coll, id, ver, data) VALUES (?, ?, 1, ?)'),
      replace: db.prepare<[string, number]>('UPDATE docs SET data = ?, ver = ver + 1 WHERE rid = ?'),
      remove: db.prepare<[number]>('DELETE FROM docs WHERE rid = ?'),
      addEntry: db.prepare<[string, string, string, number]>('INSERT INTO entries (coll, path, key, rid) VALUES (?, ?, ?, ?)'),
      dropEntries: db.prepare<[number]>('DELETE FROM entries WHERE rid = ?'),
      dropEntry: db.prepare<[number, string, string]>('DELETE FROM entries WHERE rid = ? AND path = ? AND key = ?'),
      touch: db.prepare<[string]>('INSERT OR IGNORE INTO collections (name) VALUES (?)'),
      names: db.prepare<[], { name: string }>('SELECT name FROM collections ORDER BY rowid'),
    };
    this.commitTx = db.transaction((changes: Change[], expect: Expectation[]) => {
      for (const e of expect) {
        const now = this.stmt.verOf.get(e.coll, e.id);
        // The row id as well: a document removed and added again starts over at version 1.
        if ((now?.rid ?? 0) !== e.rid || (now?.ver ?? 0) !== e.ver) {
          throw new ConflictError(ErrCode.FAIL, `transaction:fail conflict: ${e.coll}/${e.id} was changed by another writer`);
        }
      }
      return changes.map((c) => this.apply(c));
    });
    this.syncIndexes(indexes);
  }

  /** Builds entries for newly declared indexes and drops those no longer declared. */
  private syncIndexes(spec: IndexSpec): void {
    const declared = new Set<string>();
    for (const [coll, paths] of Object.entries(spec)) {
      this.paths.set(
        coll,
        paths.map((path) => ({ path, segs: path.split('.') })),
      );
      for (const p of paths) declared.add(`${coll}\u0000${p}`);
    }
    this.db.transaction(() => {
      const built = this.db.prepare<[], { coll: string; path: string }>('SELECT coll, path FROM indexes').all();
      for (const b of built) {
        if (!declared.has(`${b.coll}\u0000${b.path}`)) {
          this.db.prepare('DELETE FROM entries WHERE coll = ? AND path = ?').run(b.coll, b.path);
          this.db.prepare('DELETE FROM indexes WHERE coll = ? AND path = ?').run(b.coll, b.path);
        }
      }
      const has = new Set(built.map((b) => `${b.coll}\u0000${b.path}`));
      for (const [coll, paths] of this.paths) {
        for (const p of paths) {
          if (has.has(`${coll}\u0000${p.path}`)) continue;
          for (const row of this.stmt.all.all(coll)) this.addEntries(coll, row.rid, decodeDoc<Doc>(row.data), [p]);
          this.db.prepare('INSERT INTO indexes (coll, path) VALUES (?, ?)').run(coll, p.path);
        }
      }
    })();
  }

  private entriesOf(coll: string, doc: Doc, paths = this.paths.get(coll) ?? []): [string, string][] {
    const out: [string, string][] = [];
    for (const p of paths) {
      const keys = new Set<string>();
      for (const v of candidates(valuesAtPath(doc, p.segs))) {
        const k = indexKey(v);
        if (k !== undefined) keys.add(k);
      }
      for (const k of keys) out.push([p.path, k]);
    }
    return out;
  }

  private addEntries(coll: string, rid: number, doc: Doc, paths = this.paths.get(coll) ?? []): void {
    for (const [path, key] of this.entriesOf(coll, doc, paths)) this.stmt.addEntry.run(coll, path, key, rid);
  }

  private apply(c: Change): number {
    this.stmt.touch.run(c.coll);
    switch (c.kind) {
      case 'insert': {
        let rid: number;
        try {
          rid = Number(this.stmt.insert.run(c.coll, c.doc._id, encodeDoc(c.doc)).lastInsertRowid);
        } catch (e) {
          if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
            throw duplicateKey('collection.add', c.coll, c.doc._id);
          }
          throw e;
        }
        this.addEntries(c.coll, rid, c.doc);
        return rid;
      }
      case 'replace':
        this.stmt.replace.run(encodeDoc(c.doc), c.rid);
        if (!c.before) {
          this.stmt.dropEntries.run(c.rid);
          this.addEntries(c.coll, c.rid, c.doc);
        } else {
          // Only the entries whose values changed: index maintenance is most of a commit's cost.
          const key = ([path, k]: [string, string]) => `${path}\u0000${k}`;
          const before = new Map(this.entriesOf(c.coll, c.before).map((e) => [key(e), e]));
          const after = new Map(this.entriesOf(c.coll, c.doc).map((e) => [key(e), e]));
          for (const [k, [path, value]] of before) if (!after.has(k)) this.stmt.dropEntry.run(c.rid, path, value);
          for (const [k, [path, value]] of after) if (!before.has(k)) this.stmt.addEntry.run(c.coll, path, value, c.rid);
        }
        return c.rid;
      case 'delete':
        this.stmt.remove.run(c.rid);
        this.stmt.dropEntries.run(c.rid);
        return c.rid;
    }
  }

  /** Applies every change, or none (after checking `expect`); returns the rows' ids. */
  commit(changes: Change[], expect: Expectation[] = []): number[] {
    return this.commitTx(changes, expect);
  }

  byId(coll: string, id: string): StoredDoc | undefined {
    const row = this.stmt.byId.get(coll, id);
    return row && toStored(row);
  }

  /** Documents that may match `constraints` (all of the collection when no index applies), in insertion order. */
  candidates(coll: string, constraints: Constraint[]): StoredDoc[] {
    const byId = constraints.find((c) => c.path === '_id');
    if (byId) {
      const out: StoredDoc[] = [];
      for (const k of new Set(byId.keys)) {
        if (!k.startsWith('s')) continue;
        const d = this.byId(coll, k.slice(1));
        if (d) out.push(d);
      }
      return out.sort((a, b) => a.rid - b.rid);
    }
    const indexed = new Set((this.paths.get(coll) ?? []).map((p) => p.path));
    let best: { c: Constraint; n: number } | undefined;
    for (const c of constraints) {
      if (!indexed.has(c.path)) continue;
      const n = c.keys.reduce((sum, k) => sum + (this.stmt.countKey.get(coll, c.path, k)?.n ?? 0), 0);
      if (!best || n < best.n) best = { c, n };
    }
    if (!best) return this.stmt.all.all(coll).map(toStored);
    const rows = new Map<number, Row>();
    for (const k of new Set(best.c.keys)) for (const r of this.stmt.byKey.all(coll, best.c.path, k)) rows.set(r.rid, r);
    return [...rows.values()].sort((a, b) => a.rid - b.rid).map(toStored);
  }

  all(coll: string): StoredDoc[] {
    return this.stmt.all.all(coll).map(toStored);
  }

  names(): string[] {
    return this.stmt.names.all().map((r) => r.name);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

const toStored = (row: Row): StoredDoc => ({ rid: row.rid, ver: row.ver, doc: decodeDoc<Doc>(row.data) });
