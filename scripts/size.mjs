// Prints the mini-program's package sizes the way DevTools ships them (source files, TS counted as its
// compiled JS is about the same size), against WeChat's 2 MB per-package limit and our 200 KB aim for the
// main package. Without miniprogram/miniprogram_npm (DevTools 构建 npm not run yet), the npm packages are
// estimated from the dist folders DevTools would copy.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mpRoot = join(root, 'miniprogram');
const LIMIT = 2 * 1024 * 1024;
const AIM = 200 * 1024;
const SHIPPED = /\.(ts|js|json|wxml|wxss|wxs|png|jpg|jpeg|gif|svg|webp)$/;

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return filesUnder(p);
    // Declarations are type-only and never shipped.
    return SHIPPED.test(d.name) && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

const sizeOf = (files) => files.reduce((n, f) => n + statSync(f).size, 0);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const app = JSON.parse(readFileSync(join(mpRoot, 'app.json'), 'utf8'));
const subRoots = (app.subpackages ?? app.subPackages ?? []).map((s) => s.root.replace(/\/$/, ''));

const all = filesUnder(mpRoot);
const inSub = (f, r) => relative(mpRoot, f).split(sep).join('/').startsWith(`${r}/`);
const sub = Object.fromEntries(subRoots.map((r) => [r, all.filter((f) => inSub(f, r))]));
const main = all.filter((f) => !subRoots.some((r) => inSub(f, r)));

let npmBytes = 0;
let npmNote = 'miniprogram/miniprogram_npm';
if (!existsSync(join(mpRoot, 'miniprogram_npm'))) {
  // What 构建 npm copies: the package's `miniprogram` folder if it declares one, else the main file's folder.
  const pkgs = ['mobx-miniprogram', 'mobx-miniprogram-bindings', 'weapp-qrcode'];
  npmBytes = pkgs.reduce((n, name) => {
    const dir = join(root, 'node_modules', name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const main = join(dir, pkg.main ?? 'index.js');
    const file = existsSync(main) ? main : `${main}.js`;
    const dist = pkg.miniprogram ? join(dir, pkg.miniprogram) : null;
    return n + (dist ? sizeOf(filesUnder(dist).filter((f) => f.endsWith('.js'))) : statSync(file).size);
  }, 0);
  npmNote = 'npm packages, estimated from node_modules (run 构建 npm for the real figure)';
}

const mainBytes = sizeOf(main) + npmBytes;
const rows = [
  ['main package', mainBytes, `incl. ${kb(npmBytes)} ${npmNote}`],
  ...subRoots.map((r) => [`subpackage ${r}/`, sizeOf(sub[r]), '']),
];
let over = false;
for (const [name, bytes, note] of rows) {
  const flag = bytes > LIMIT ? 'OVER 2 MB LIMIT' : name === 'main package' && bytes > AIM ? 'over the 200 KB aim' : 'ok';
  if (bytes > LIMIT) over = true;
  console.log(`${name.padEnd(20)} ${kb(bytes).padStart(10)}  ${flag}${note ? `  (${note})` : ''}`);
}
const total = rows.reduce((n, [, b]) => n + b, 0);
console.log(`${'total'.padEnd(20)} ${kb(total).padStart(10)}  (limit 2 MB per package; main aim 200 KB)`);
process.exitCode = over ? 1 : 0;
