// Compiles the mini-program with the official build tool, miniprogram-ci (extracted from WeChat DevTools),
// offline: 构建 npm for every entry of project.config.json's packNpmRelationList, then the whole compile
// DevTools does for an upload (TypeScript plugin, ES5 via Babel, npm, minify). The code package is written
// to .build/miniprogram/ (what `npm run size` measures and the compiled page tests load).
// A failed compile exits non-zero, so a break in the TS plugin, the ES5 output or 构建 npm fails `npm test`.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { prepareSubpackageNpm, projectConfig, root } from './miniprogram-project.mjs';

const require = createRequire(import.meta.url);
export const OUT_DIR = join(root, '.build', 'miniprogram');

/** A throwaway RSA key: getCompiledResult wants a code-upload key file but never uses it offline. */
function throwawayKey(dir) {
  const file = join(dir, 'throwaway-upload-key.pem');
  writeFileSync(file, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }));
  return file;
}

export async function compileMiniprogram({ quiet = true } = {}) {
  const started = Date.now();
  prepareSubpackageNpm();
  const ci = require('miniprogram-ci');
  const cfg = projectConfig();
  // 构建 npm as DevTools' 工具 → 构建 npm does it with packNpmManually.
  for (const rel of cfg.setting.packNpmRelationList) {
    const res = await ci.packNpmManually({ packageJsonPath: join(root, rel.packageJsonPath), miniprogramNpmDistDir: join(root, rel.miniprogramNpmDistDir) });
    if (res.warnList?.length) console.warn(`构建 npm (${rel.packageJsonPath}):`, res.warnList.map((w) => w.msg ?? JSON.stringify(w)).join('; '));
  }
  const tmp = mkdtempSync(join(tmpdir(), 'mp-compile-'));
  const project = new ci.Project({
    appid: cfg.appid,
    type: 'miniProgram',
    projectPath: root,
    privateKeyPath: throwawayKey(tmp),
    ignores: ['node_modules/**/*', '**/node_modules/**/*'],
  });
  // The default attribute look-up asks WeChat's servers; the defaults are what it falls back to.
  project.attr = async () => ci.DefaultProjectAttr;
  const log = console.log;
  const err = console.error;
  // miniprogram-ci logs its own progress, and a harmless failed look-up of the "white ext list" offline.
  if (quiet) console.log = console.error = () => undefined;
  let files;
  try {
    files = await ci.getCompiledResult({ project, desc: 'offline compile', setting: { useProjectConfig: true } }, join(tmp, 'package.zip'));
  } finally {
    console.log = log;
    console.error = err;
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(OUT_DIR, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    const file = join(OUT_DIR, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return { files: Object.keys(files).length, ms: Date.now() - started };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  compileMiniprogram()
    .then(({ files, ms }) => {
      console.log(`compiled the mini-program with miniprogram-ci: ${files} files in .build/miniprogram/ in ${ms} ms`);
      // miniprogram-ci leaves worker processes and timers behind; the compile is done.
      process.exit(0);
    })
    .catch((e) => {
      console.error('miniprogram-ci compile failed:', e?.stack ?? e);
      process.exit(1);
    });
}
