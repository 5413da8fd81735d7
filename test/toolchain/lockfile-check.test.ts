import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** scripts/check-lockfile.mjs: a lockfile made on one OS without the others' builds must fail CI. */
const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'check-lockfile.mjs');
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));

function check(content: unknown) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lock-')), 'package-lock.json');
  fs.writeFileSync(file, JSON.stringify(content));
  return spawnSync(process.execPath, [SCRIPT, file], { encoding: 'utf8' });
}

const without = (...keys: string[]) => {
  const copy = JSON.parse(JSON.stringify(lock));
  for (const k of keys) delete copy.packages[k];
  return copy;
};

test('the committed lockfile lists every platform build', () => {
  const r = check(lock);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  for (const name of ['@swc/core-darwin-arm64', '@swc/core-win32-x64-msvc', '@esbuild/darwin-arm64', '@unrs/resolver-binding-win32-x64-msvc']) {
    expect(lock.packages[`node_modules/${name}`]).toBeTruthy();
  }
});

test('a lockfile made on Linux only (no macOS or Windows builds) fails, naming what is missing', () => {
  const linuxOnly = Object.keys(lock.packages).filter((k) => /\/(@swc\/core|@unrs\/resolver-binding|@esbuild\/)[-\w]*(darwin|win32)/.test(k));
  expect(linuxOnly.length).toBeGreaterThan(5);
  const r = check(without(...linuxOnly));
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('@swc/core-darwin-arm64@');
  expect(r.stderr).toContain('npm run lock');
});

test('a nested package whose build only exists hoisted at another version fails', () => {
  const nested = Object.keys(lock.packages).find((k) => /node_modules\/.+\/node_modules\/@swc\/core-win32-x64-msvc$/.test(k));
  expect(nested).toBeTruthy();
  const r = check(without(nested!));
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('@swc/core-win32-x64-msvc');
});
