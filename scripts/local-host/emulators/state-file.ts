import * as fs from 'node:fs';
import * as path from 'node:path';
import { CollectionFiles } from '../wx-server-sdk/database/files';
import type { PlainObject } from '../wx-server-sdk/database/values';

/**
 * Where an emulator keeps its payments between runs of the local host. `load` hands every saved record
 * to `read`, which checks it and rebuilds it (throwing on anything it cannot trust); it returns
 * undefined when nothing was saved yet.
 */
export interface StateStore<R> {
  load(read: (saved: unknown) => R): R[] | undefined;
  save(records: R[]): void;
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

/**
 * `<dir>/<name>.json`: a JSON array of records. Saves go through the sandbox database's CollectionFiles
 * (temporary file, fsync, rename), so a crash leaves the previous or the new state, never a torn file.
 */
export function emulatorStateFile<R extends object>(dir: string, name: string): StateStore<R> {
  const files = new CollectionFiles(dir);
  const file = path.join(dir, `${name}.json`);
  return {
    load(read) {
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
      return saved.map((record, i) => {
        try {
          return read(record);
        } catch (e) {
          throw new StateFileError(file, `record ${i}: ${messageOf(e)}`);
        }
      });
    },
    save(records) {
      // Records are plain JSON data (no Dates, Buffers or keys): written as they are.
      files.save(name, records as unknown as PlainObject[]);
    },
  };
}
