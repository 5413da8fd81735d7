import Sqlite from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where an emulator keeps its payments between runs of the local host. `load` hands every saved record
 * to `read`, which checks it and rebuilds it (throwing on anything it cannot trust); it returns
 * undefined when nothing was saved yet. `save` is given every record; with `changed` it writes only
 * those (the others are as last saved), else it writes the records whose content changed and forgets
 * those no longer given. Records are told apart by their payment id.
 */
export interface StateStore<R> {
  load(read: (saved: unknown) => R): R[] | undefined;
  save(records: R[], changed?: R[]): void;
  /** Lets go of the file (a later load or save opens it again). */
  close?(): void;
}

/** A state file that cannot be read: the local host refuses to start rather than forget payments. */
export class StateFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`Cannot load the emulator state file ${file}: ${reason}. Repair it, or delete it to forget the payments it holds.`);
    this.name = 'StateFileError';
  }
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

function readRecords<R>(file: string, texts: string[], read: (saved: unknown) => R): R[] {
  return texts.map((text, i) => {
    let saved: unknown;
    try {
      saved = JSON.parse(text);
    } catch (e) {
      throw new StateFileError(file, `record ${i} is not valid JSON (${messageOf(e)})`);
    }
    try {
      return read(saved);
    } catch (e) {
      throw new StateFileError(file, `record ${i}: ${messageOf(e)}`);
    }
  });
}

/** The state file of earlier versions, `<dir>/<name>.json` (one JSON array): read once, then imported. */
function readLegacy<R>(file: string, read: (saved: unknown) => R): R[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(file, messageOf(e));
  }
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch (e) {
    throw new StateFileError(file, `it is not valid JSON (${messageOf(e)})`);
  }
  if (!Array.isArray(saved)) throw new StateFileError(file, 'it is not a JSON array of records');
  return readRecords(
    file,
    saved.map((r) => JSON.stringify(r)),
    read,
  );
}

/**
 * `<dir>/<name>.sqlite`: one row per record, in SQLite (WAL, synchronous=NORMAL: each save is
 * committed before it returns and survives the process being killed; a save is all or nothing). Only
 * records whose JSON changed are written, so a change costs one row, not the whole state. Records are
 * plain JSON data (no Dates, Buffers or keys).
 */
export function emulatorStateFile<R extends object>(dir: string, name: string, idOf: (r: R) => unknown = (r) => (r as { payment?: { id?: unknown } }).payment?.id): StateStore<R> {
  // Payment records are keyed by their payment id; other records (shipping) say what keys them.
  const keyOf = (r: R): string => {
    const id = idOf(r);
    if (typeof id !== 'string' || id === '') throw new Error(`an emulator record of ${name} has no id`);
    return id;
  };
  const file = path.join(dir, `${name}.sqlite`);
  const legacyFile = path.join(dir, `${name}.json`);
  let db: Sqlite.Database | undefined;
  /** What is on disk, by record key. */
  const saved = new Map<string, string>();

  const open = (): Sqlite.Database => {
    if (db) return db;
    fs.mkdirSync(dir, { recursive: true });
    db = new Sqlite(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS records (rid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, data TEXT NOT NULL)');
    return db;
  };

  const write = (records: Iterable<R>, removeMissing: boolean) => {
    const d = open();
    const upsert = d.prepare<[string, string]>('INSERT INTO records (key, data) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET data = excluded.data');
    const remove = d.prepare<[string]>('DELETE FROM records WHERE key = ?');
    const written = new Map<string, string | undefined>();
    d.transaction(() => {
      for (const r of records) {
        const key = keyOf(r);
        const json = JSON.stringify(r);
        if (saved.get(key) !== json) upsert.run(key, json);
        written.set(key, json);
      }
      if (removeMissing) {
        for (const key of saved.keys()) {
          if (written.has(key)) continue;
          remove.run(key);
          written.set(key, undefined);
        }
      }
    })();
    // Only once committed: a failed save leaves what is known to be on disk as it was.
    for (const [key, json] of written) {
      if (json === undefined) saved.delete(key);
      else saved.set(key, json);
    }
  };

  return {
    load(read) {
      if (!fs.existsSync(file)) {
        const legacy = readLegacy(legacyFile, read);
        if (legacy === undefined) return undefined;
        write(legacy, false);
        fs.renameSync(legacyFile, `${legacyFile}.imported`);
        return legacy;
      }
      let rows: { key: string; data: string }[];
      try {
        rows = open().prepare<[], { key: string; data: string }>('SELECT key, data FROM records ORDER BY rid').all();
      } catch (e) {
        throw new StateFileError(file, messageOf(e));
      }
      const records = readRecords(
        file,
        rows.map((r) => r.data),
        read,
      );
      saved.clear();
      for (const r of records) saved.set(keyOf(r), JSON.stringify(r));
      return records;
    },
    save(records, changed) {
      if (changed) write(changed, false);
      else write(records, true);
    },
    close() {
      db?.close();
      db = undefined;
    },
  };
}
