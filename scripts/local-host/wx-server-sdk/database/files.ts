import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPlainObject, type PlainObject } from './values';

/**
 * Keeps each collection as `<dir>/<collection>.json` (an array of documents). Every save writes a
 * temporary file, flushes it and renames it over the old one, so a crash leaves either the old or the
 * new content, never a torn file. Dates are written as `{"$date": "<ISO>"}` (the cloud console's export
 * form) and read back as Dates; field names cannot start with "$", so this cannot clash with data.
 */

const TMP_SUFFIX = '.tmp';
let tmpCounter = 0;

function encode(v: unknown): unknown {
  if (v instanceof Date) return { $date: v.toISOString() };
  if (Array.isArray(v)) return v.map(encode);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  return v;
}

function revive(_key: string, v: unknown): unknown {
  if (isPlainObject(v) && typeof v.$date === 'string' && Object.keys(v).length === 1) return new Date(v.$date);
  return v;
}

export class CollectionFiles {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Reads every collection file; removes temporary files a crashed write may have left behind. */
  loadAll(): Map<string, PlainObject[]> {
    const out = new Map<string, PlainObject[]>();
    for (const entry of fs.readdirSync(this.dir)) {
      const file = path.join(this.dir, entry);
      if (entry.endsWith(TMP_SUFFIX)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (!entry.endsWith('.json')) continue;
      const docs: unknown = JSON.parse(fs.readFileSync(file, 'utf8'), revive);
      if (!Array.isArray(docs) || !docs.every((d) => isPlainObject(d) && typeof d._id === 'string')) {
        throw new Error(`${file} is not an array of documents with string _id values`);
      }
      out.set(entry.slice(0, -'.json'.length), docs as PlainObject[]);
    }
    return out;
  }

  save(collection: string, docs: PlainObject[]): void {
    const target = path.join(this.dir, `${collection}.json`);
    const tmp = path.join(this.dir, `.${collection}.json.${process.pid}.${++tmpCounter}${TMP_SUFFIX}`);
    try {
      const fd = fs.openSync(tmp, 'wx');
      try {
        fs.writeFileSync(fd, JSON.stringify(encode(docs), null, 1));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, target);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }
}
