// Bundles each cloud function's TypeScript (cloudfunctions/<name>/src/index.ts, shared code inlined,
// wx-server-sdk left external) into the self-contained cloudfunctions/<name>/index.js that DevTools
// uploads, and the local host into .build/. Runs on `npm install`, `npm start` and `npm run build`.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fnRoot = join(root, 'cloudfunctions');

const functions = readdirSync(fnRoot, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(fnRoot, d.name, 'src', 'index.ts')))
  .map((d) => d.name);

const common = { bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning', legalComments: 'none' };

const started = Date.now();
await Promise.all([
  ...functions.map((name) =>
    build({
      ...common,
      entryPoints: [join(fnRoot, name, 'src', 'index.ts')],
      outfile: join(fnRoot, name, 'index.js'),
      // The cloud runtime may be Node 16; the SDK is installed there from the function's package.json.
      target: 'node16',
      external: ['wx-server-sdk'],
      banner: { js: '// Built from src/ by scripts/build.mjs. Do not edit: edit src/ and run `npm run build`.' },
    }),
  ),
  existsSync(join(root, 'scripts', 'local-host', 'main.ts')) &&
    build({
      ...common,
      entryPoints: [join(root, 'scripts', 'local-host', 'main.ts')],
      outfile: join(root, '.build', 'local-host.js'),
      target: 'node18',
      // A native addon: loaded from node_modules at run time.
      external: ['better-sqlite3'],
    }),
]);
console.log(`built ${functions.length} cloud function(s) [${functions.join(', ')}] and the local host in ${Date.now() - started} ms`);
