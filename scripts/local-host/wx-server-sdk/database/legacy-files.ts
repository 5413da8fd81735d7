import * as fs from 'node:fs';
import * as path from 'node:path';
import { reviveDates } from './codec';
import { isPlainObject, type PlainObject } from './values';

/**
 * The stand-in's former storage: `<dir>/<collection>.json` (an array of documents). A directory that
 * still holds such files is imported once into the database file, so an existing SANDBOX_DIR keeps its
 * orders; each imported file is then renamed `<name>.json.imported`. Temporary files a crashed write
 * of the old format left behind are removed. A file that cannot be read stops the start, naming it,
 * instead of dropping its data.
 */

const TMP_SUFFIX = '.tmp';

export function readLegacyCollections(dir: string): Map<string, PlainObject[]> {
  const out = new Map<string, PlainObject[]>();
  for (const entry of fs.readdirSync(dir)) {
    const file = path.join(dir, entry);
    if (entry.endsWith(TMP_SUFFIX)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (!entry.endsWith('.json')) continue;
    const docs: unknown = JSON.parse(fs.readFileSync(file, 'utf8'), reviveDates);
    if (!Array.isArray(docs) || !docs.every((d) => isPlainObject(d) && typeof d._id === 'string')) {
      throw new Error(`${file} is not an array of documents with string _id values`);
    }
    out.set(entry.slice(0, -'.json'.length), docs as PlainObject[]);
  }
  return out;
}

export function markImported(dir: string, names: Iterable<string>): void {
  for (const name of names) fs.renameSync(path.join(dir, `${name}.json`), path.join(dir, `${name}.json.imported`));
}
