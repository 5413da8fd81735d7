// Prints the mini-program's code package sizes as the official compiler (miniprogram-ci) produces them for
// an upload: the main package (with its miniprogram_npm) and each subpackage, against WeChat's 2 MB limit
// per package and our aim for the main package. Compiles first (scripts/compile-miniprogram.mjs) unless
// `--no-compile` (then it reads the last .build/miniprogram/). `--json` prints the figures as JSON.
// Exits 1 when a package is over its limit.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { OUT_DIR, compileMiniprogram } from './compile-miniprogram.mjs';

const LIMIT = 2 * 1024 * 1024;
const MAIN_AIM = 110 * 1024;
const args = new Set(process.argv.slice(2));

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

export function packageSizes(dir) {
  const app = JSON.parse(readFileSync(join(dir, 'app.json'), 'utf8'));
  const roots = (app.subpackages ?? app.subPackages ?? []).map((s) => s.root.replace(/\/$/, ''));
  const sizes = { main: 0, mainNpm: 0, subpackages: Object.fromEntries(roots.map((r) => [r, 0])) };
  for (const file of filesUnder(dir)) {
    const rel = relative(dir, file).split(sep).join('/');
    const bytes = statSync(file).size;
    const sub = roots.find((r) => rel.startsWith(`${r}/`));
    if (sub) sizes.subpackages[sub] += bytes;
    else {
      sizes.main += bytes;
      if (rel.startsWith('miniprogram_npm/')) sizes.mainNpm += bytes;
    }
  }
  return sizes;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

if (!args.has('--no-compile')) {
  await compileMiniprogram();
} else if (!existsSync(join(OUT_DIR, 'app.json'))) {
  console.error('no compiled package in .build/miniprogram/: run `npm run size` (it compiles first)');
  process.exit(1);
}
const sizes = packageSizes(OUT_DIR);
const over = sizes.main > LIMIT || Object.values(sizes.subpackages).some((b) => b > LIMIT);
if (args.has('--json')) {
  console.log(JSON.stringify({ ...sizes, limit: LIMIT, mainAim: MAIN_AIM }));
} else {
  const flag = (b, aim) => (b > LIMIT ? 'OVER THE 2 MB LIMIT' : aim && b > aim ? `ok, over the ${kb(aim)} aim` : 'ok');
  console.log('Code package as compiled by miniprogram-ci (.build/miniprogram/):');
  console.log(`${'main package'.padEnd(22)} ${kb(sizes.main).padStart(10)}  ${flag(sizes.main, MAIN_AIM)}  (incl. ${kb(sizes.mainNpm)} miniprogram_npm)`);
  for (const [r, b] of Object.entries(sizes.subpackages)) console.log(`${`subpackage ${r}/`.padEnd(22)} ${kb(b).padStart(10)}  ${flag(b)}`);
  const total = sizes.main + Object.values(sizes.subpackages).reduce((a, b) => a + b, 0);
  console.log(`${'total'.padEnd(22)} ${kb(total).padStart(10)}  (limit 2 MB per package, 20 MB in all)`);
}
// miniprogram-ci leaves worker processes behind.
process.exit(over ? 1 : 0);
