// `npm run bench [-- section…]`: builds the functions, bundles scripts/bench/main.ts and runs it. Prints figures only.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
const outfile = join(root, '.build', 'bench.js');
await build({ entryPoints: [join(root, 'scripts', 'bench', 'main.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node18', logLevel: 'warning', external: ['better-sqlite3'] });
execFileSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit' });
