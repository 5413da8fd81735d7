import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The official WXML compiler over the whole mini-program, checked file by file so that new pages and
 * components (the merchant subpackage, order-refunds) are covered without a list to keep up to date;
 * the same for every .wxss with the official WXSS compiler (wcsc); and every page app.json declares, and every component a page uses, exists with its four files.
 */
const ROOT = path.join(__dirname, '..', '..', 'miniprogram');

function files(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'miniprogram_npm' ? [] : files(p, ext);
    return e.name.endsWith(ext) ? [p] : [];
  });
}

const relTo = (root: string, p: string) => path.relative(root, p).split(path.sep).join('/');
const rel = (p: string) => relTo(ROOT, p);

interface Compiler {
  wxmlToJs(root: string): string;
  wxssToJs(root: string, options: { wxssList: string[] }): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiler = require('miniprogram-compiler') as Compiler;

/**
 * Compiles every .wxss under root (miniprogram_npm excluded) with wcsc. On a syntax error wxssToJs
 * only throws a TypeError of its own; the `file(line:col)` message is in what its wcsc wrapper
 * (package-internal, pinned version) returns, so rethrow that.
 */
function compileWxss(root: string): { js: string; list: string[] } {
  const list = files(root, '.wxss').map((f) => relTo(root, f));
  try {
    return { js: compiler.wxssToJs(root, { wxssList: list }), list };
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wcsc = require('miniprogram-compiler/src/wcsc') as (root: string, files: string[]) => unknown;
    const result = wcsc(root, list.map((f) => f.slice(0, -'.wxss'.length)));
    throw result instanceof Error ? result : err;
  }
}

function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !/(^|[\\/])(miniprogram_npm|node_modules)$/.test(src) });
}

interface AppJson {
  pages: string[];
  subpackages?: Array<{ root: string; pages: string[] }>;
}
const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8')) as AppJson;
const pages = [...app.pages, ...(app.subpackages ?? []).flatMap((s) => s.pages.map((p) => `${s.root.replace(/\/$/, '')}/${p}`))];

test('every .wxml compiles with the official compiler, the merchant pages and components included', () => {
  const js = compiler.wxmlToJs(ROOT);
  const wxml = files(ROOT, '.wxml').map(rel);
  expect(wxml).toEqual(expect.arrayContaining(['merchant/orders/index.wxml', 'merchant/order/index.wxml', 'merchant/refund/index.wxml', 'pay/components/order-refunds/index.wxml']));
  expect(wxml.filter((f) => !js.includes(f))).toEqual([]);
});

test('every .wxss compiles with the official compiler', () => {
  const { js, list } = compileWxss(ROOT);
  expect(list).toEqual(expect.arrayContaining(['app.wxss', 'pages/cart/index.wxss', 'pay/result/index.wxss', 'merchant/order/index.wxss', 'pay/components/order-refunds/index.wxss', 'pay/components/order-receipt/index.wxss']));
  expect(list.filter((f) => !js.includes(`'${f.includes('/') ? f : `./${f}`}'`))).toEqual([]);
});

test('a syntax error in a .wxss fails that check with its file:line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wxss-'));
  try {
    copyTree(ROOT, dir);
    const cart = path.join(dir, 'pages', 'cart', 'index.wxss');
    fs.writeFileSync(cart, `${fs.readFileSync(cart, 'utf8')}\n.broken { color: red;\n.next { color: blue; }\n`);
    expect(() => compileWxss(dir)).toThrow(/pages\/cart\/index\.wxss\(\d+:\d+\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
