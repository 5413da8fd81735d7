// Fails when package-lock.json lacks a platform's build of a package that ships per-platform optional
// builds (@swc/core, esbuild, unrs-resolver, …). npm 10 (Node 18–22) installs only what the lockfile lists,
// so a lockfile made on one OS without the others breaks `npm ci`/`npm test` on macOS or Windows.
// Usage: node scripts/check-lockfile.mjs [path/to/package-lock.json]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockPath = process.argv[2] ?? join(root, 'package-lock.json');

/** Where Node would find `name` from the package at `from` (a lockfile key such as node_modules/a/node_modules/b). */
function resolve(packages, from, name) {
  let dir = from;
  for (;;) {
    const key = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return null;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i === -1 ? '' : dir.slice(0, i);
  }
}

export function missingOptionalBuilds(lock) {
  const packages = lock.packages ?? {};
  const missing = [];
  for (const [at, pkg] of Object.entries(packages)) {
    if (pkg.link) continue;
    for (const [name, spec] of Object.entries(pkg.optionalDependencies ?? {})) {
      const found = resolve(packages, at, name);
      // Platform builds are pinned to their parent's exact version; a hoisted build of another version is no build.
      const exact = /^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec);
      if (!found || (exact && packages[found].version !== spec)) missing.push({ from: at || '(root)', name: `${name}@${spec}` });
    }
  }
  return missing;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('check-lockfile.mjs')) {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  if (lock.lockfileVersion < 2) {
    console.error(`${lockPath}: lockfileVersion ${lock.lockfileVersion} has no "packages" map; regenerate it with npm 7 or newer`);
    process.exit(1);
  }
  const missing = missingOptionalBuilds(lock);
  if (missing.length) {
    console.error(`${lockPath} lacks ${missing.length} optional build(s) that other platforms need:`);
    for (const m of missing) console.error(`  ${m.name}  (optional dependency of ${m.from})`);
    console.error('Regenerate it from scratch so every platform is listed: npm run lock');
    process.exit(1);
  }
  const withBuilds = Object.values(lock.packages).filter((p) => Object.keys(p.optionalDependencies ?? {}).length).length;
  console.log(`lockfile: every optional build of ${withBuilds} package(s) is listed`);
}
