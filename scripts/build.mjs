// Bundles each cloud function's TypeScript (cloudfunctions/<name>/src/index.ts, shared code inlined,
// wx-server-sdk left external) into the self-contained cloudfunctions/<name>/index.js that DevTools
// uploads, and the local host into .build/. Runs on `npm install`, `npm start` and `npm run build`.
//
// Payment providers are loaded when used: each provider's registration `require('./provider')`s its
// implementation on first use, and here each implementation becomes its own file beside index.js
// (provider-wxpay-v3.js, provider-wxpay-v2.js, provider-payjs.js), so a v3 deployment never reads v2's
// XML library. The folder stays self-contained. Modules the function and a provider file both use
// (errors, the provider interface…) are not copied into the provider file: it takes index.js's own
// instances through `__shared`, so `instanceof AppError` and the like hold across the two files.
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fnRoot = join(root, 'cloudfunctions');
const commonRoot = join(fnRoot, 'common');

const functions = readdirSync(fnRoot, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(fnRoot, d.name, 'src', 'index.ts')))
  .map((d) => d.name);

const common = { bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning', legalComments: 'none' };
// The cloud runtime may be Node 16; the SDK is installed there from the function's package.json.
const fnOptions = { ...common, target: 'node16', external: ['wx-server-sdk'] };
const BANNER = { js: '// Built from src/ by scripts/build.mjs. Do not edit: edit src/ and run `npm run build`.' };

const posix = (p) => p.split(sep).join('/');
/** cloudfunctions/common/wxpay/v2/provider.ts → provider-wxpay-v2.js */
const chunkName = (providerFile) => `provider-${posix(relative(commonRoot, dirname(providerFile))).replace(/\//g, '-')}.js`;
/** An esbuild metafile input path → absolute path. */
const absolute = (input) => join(root, input);

/** Leaves every `require('./provider')` of a registration.ts external, as the provider's own file. */
const providersApart = (found) => ({
  name: 'providers-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/provider$/ }, (args) => {
      if (args.kind !== 'require-call' || !args.importer.endsWith(`${sep}registration.ts`)) return undefined;
      const file = join(args.resolveDir, 'provider.ts');
      found.add(file);
      return { path: `./${chunkName(file)}`, external: true };
    });
  },
});

/** In a provider's file: modules index.js has too resolve to index.js's instances. */
const fromIndex = (shared) => ({
  name: 'shared-from-index',
  setup(b) {
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (args.namespace === 'shared' || args.pluginData === 'inner') return undefined;
      const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'inner' });
      return shared.has(r.path) ? { path: r.path, namespace: 'shared' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'shared' }, (args) => ({
      contents: `module.exports = require('./index.js').__shared[${JSON.stringify(posix(relative(fnRoot, args.path)))}];`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^\.\/index\.js$/, namespace: 'shared' }, () => ({ path: './index.js', external: true }));
  },
});

const inputsOf = (result) => new Set(Object.keys(result.metafile.inputs).filter((i) => !i.includes('node_modules')).map(absolute));

async function buildFunction(name) {
  const dir = join(fnRoot, name);
  const entry = join(dir, 'src', 'index.ts');
  // Pass 1 (nothing written): which provider files there are, and which modules index.js and they share.
  const providers = new Set();
  const main = await build({ ...fnOptions, entryPoints: [entry], write: false, metafile: true, outfile: join(dir, 'index.js'), plugins: [providersApart(providers)] });
  const mainInputs = inputsOf(main);
  const shared = new Set();
  for (const p of providers) {
    const alone = await build({ ...fnOptions, entryPoints: [p], write: false, metafile: true, outfile: join(dir, chunkName(p)) });
    for (const i of inputsOf(alone)) if (mainInputs.has(i)) shared.add(i);
  }
  // Pass 2: index.js exports its shared modules; each provider file takes them from there.
  const sharedList = [...shared].sort();
  const entrySource = [
    `export * from ${JSON.stringify(entry)};`,
    ...sharedList.map((f, i) => `import * as s${i} from ${JSON.stringify(f)};`),
    `export const __shared = {${sharedList.map((f, i) => `${JSON.stringify(posix(relative(fnRoot, f)))}: s${i}`).join(', ')}};`,
  ].join('\n');
  for (const f of readdirSync(dir)) if (/^provider-.*\.js$/.test(f)) rmSync(join(dir, f));
  await Promise.all([
    build({ ...fnOptions, stdin: { contents: entrySource, resolveDir: dir, sourcefile: 'index.ts', loader: 'ts' }, outfile: join(dir, 'index.js'), banner: BANNER, plugins: [providersApart(new Set())] }),
    ...[...providers].map((p) => build({ ...fnOptions, entryPoints: [p], outfile: join(dir, chunkName(p)), banner: BANNER, plugins: [fromIndex(shared)] })),
  ]);
  return [...providers].map(chunkName);
}

const started = Date.now();
const [chunks] = await Promise.all([
  Promise.all(functions.map(buildFunction)),
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
const files = [...new Set(chunks.flat())].sort();
console.log(`built ${functions.length} cloud function(s) [${functions.join(', ')}] (index.js + ${files.join(', ')}) and the local host in ${Date.now() - started} ms`);
