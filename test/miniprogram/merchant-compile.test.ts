import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The official WXML compiler over the whole mini-program, checked file by file so that new pages and
 * components (the merchant subpackage, order-refunds) are covered without a list to keep up to date;
 * and every page app.json declares, and every component a page uses, exists with its four files.
 */
const ROOT = path.join(__dirname, '..', '..', 'miniprogram');

function files(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'miniprogram_npm' ? [] : files(p, ext);
    return e.name.endsWith(ext) ? [p] : [];
  });
}

const rel = (p: string) => path.relative(ROOT, p).split(path.sep).join('/');

interface AppJson {
  pages: string[];
  subpackages?: Array<{ root: string; pages: string[] }>;
}
const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8')) as AppJson;
const pages = [...app.pages, ...(app.subpackages ?? []).flatMap((s) => s.pages.map((p) => `${s.root.replace(/\/$/, '')}/${p}`))];

test('every .wxml compiles with the official compiler, the merchant pages and components included', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const compiler = require('miniprogram-compiler') as { wxmlToJs(root: string): string };
  const js = compiler.wxmlToJs(ROOT);
  const wxml = files(ROOT, '.wxml').map(rel);
  expect(wxml).toEqual(expect.arrayContaining(['merchant/orders/index.wxml', 'merchant/order/index.wxml', 'merchant/refund/index.wxml', 'components/order-refunds/index.wxml']));
  expect(wxml.filter((f) => !js.includes(f))).toEqual([]);
});

test('app.json declares the merchant subpackage, and every page and used component has its files', () => {
  expect(app.subpackages).toEqual(expect.arrayContaining([expect.objectContaining({ root: 'merchant', pages: ['orders/index', 'order/index', 'refund/index'] })]));
  const missing: string[] = [];
  const check = (base: string) => {
    for (const ext of ['.ts', '.wxml', '.wxss', '.json']) if (!fs.existsSync(path.join(ROOT, base + ext))) missing.push(base + ext);
  };
  for (const page of pages) {
    check(page);
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, `${page}.json`), 'utf8')) as { usingComponents?: Record<string, string> };
    for (const used of Object.values(json.usingComponents ?? {})) {
      const base = used.startsWith('/') ? used.slice(1) : rel(path.join(ROOT, path.dirname(page), used));
      check(base);
      expect((JSON.parse(fs.readFileSync(path.join(ROOT, `${base}.json`), 'utf8')) as { component?: boolean }).component).toBe(true);
    }
  }
  expect(missing).toEqual([]);
});
