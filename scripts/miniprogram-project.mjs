// What the compile, size and upload scripts share: the project config, and the npm folders of subpackages.
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function projectConfig() {
  return JSON.parse(readFileSync(join(root, 'project.config.json'), 'utf8'));
}

/**
 * A subpackage that alone uses an npm package has its own package.json (e.g. miniprogram/pay/package.json),
 * so 构建 npm writes that package into the subpackage's miniprogram_npm and the main package does not carry
 * it. 构建 npm needs a real node_modules beside that package.json (a symlink packs nothing): copy each
 * dependency from the root install (the root lockfile pins it), refusing a version the root does not have.
 */
export function prepareSubpackageNpm() {
  for (const rel of projectConfig().setting.packNpmRelationList) {
    const pkgPath = join(root, rel.packageJsonPath);
    if (dirname(pkgPath) === root) continue;
    const deps = JSON.parse(readFileSync(pkgPath, 'utf8')).dependencies ?? {};
    for (const [name, version] of Object.entries(deps)) {
      const from = join(root, 'node_modules', name);
      const installed = existsSync(join(from, 'package.json')) ? JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')).version : null;
      if (installed !== version) {
        throw new Error(`${rel.packageJsonPath} wants ${name}@${version}; the root install has ${installed ?? 'none'} (add it to the root devDependencies at that version)`);
      }
      const to = join(dirname(pkgPath), 'node_modules', name);
      rmSync(to, { recursive: true, force: true });
      cpSync(from, to, { recursive: true, dereference: true });
    }
  }
}

// `node scripts/miniprogram-project.mjs` (run on npm install): ready for DevTools' 工具 → 构建 npm.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  prepareSubpackageNpm();
  console.log('subpackage npm folders ready for 构建 npm (miniprogram/pay/node_modules)');
}
