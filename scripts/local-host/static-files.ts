import * as fs from 'node:fs';
import * as path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves the files of one folder as they are (no build step); `/` is index.html. */
export function staticFiles(dir: string): (urlPath: string) => { type: string; body: Buffer } | undefined {
  const root = path.resolve(dir);
  return (urlPath) => {
    const rel = urlPath === '/' ? 'index.html' : decodeURIComponent(urlPath).replace(/^\/+/, '');
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) return undefined;
    const type = TYPES[path.extname(file)];
    if (!type || !fs.existsSync(file) || !fs.statSync(file).isFile()) return undefined;
    return { type, body: fs.readFileSync(file) };
  };
}
