import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'acorn';

/**
 * The code package miniprogram-ci compiled (scripts/compile-miniprogram.mjs, run by `npm test`): what the
 * `compiled` jest project runs the page tests against, so they must really load it.
 */
const ROOT = path.join(__dirname, '..', '..');
const OUT = path.join(ROOT, '.build', 'miniprogram');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}
// miniprogram-api-typings declares the mini-program's own require (no resolve).
const nodeRequire = require as unknown as NodeJS.Require;
const compiled = files(OUT).map((f) => path.relative(OUT, f).split(path.sep).join('/'));

test('the page tests load the compiled code and the miniprogram_npm 构建 npm wrote', () => {
  expect(nodeRequire.resolve('../../miniprogram/pay/stores/checkout')).toBe(path.join(OUT, 'pay', 'stores', 'checkout.js'));
  expect(nodeRequire.resolve('mobx-miniprogram')).toBe(path.join(OUT, 'miniprogram_npm', 'mobx-miniprogram', 'index.js'));
  expect(process.env.MINIPROGRAM_COMPILED_ROOT).toBe(OUT);
});

test('every page and component of app.json is compiled (js, json, wxml, wxss)', () => {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'miniprogram', 'app.json'), 'utf8'));
  const pages: string[] = [...app.pages, ...app.subpackages.flatMap((s: { root: string; pages: string[] }) => s.pages.map((p) => `${s.root}/${p}`))];
  expect(pages.length).toBeGreaterThanOrEqual(5);
  for (const page of pages) for (const ext of ['js', 'json', 'wxml', 'wxss']) expect(compiled).toContain(`${page}.${ext}`);
});

test('every compiled script is ES5, as the oldest supported clients need', () => {
  const scripts = compiled.filter((f) => f.endsWith('.js'));
  expect(scripts.length).toBeGreaterThan(20);
  for (const f of scripts) {
    expect(() => parse(fs.readFileSync(path.join(OUT, f), 'utf8'), { ecmaVersion: 5, sourceType: 'script' })).not.toThrow();
  }
});

test('weapp-qrcode is packed into the pay subpackage only; the main package is within its limit', () => {
  expect(compiled).toContain('pay/miniprogram_npm/weapp-qrcode/index.js');
  expect(compiled.filter((f) => f.includes('weapp-qrcode'))).toEqual(['pay/miniprogram_npm/weapp-qrcode/index.js']);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'size.mjs'), '--no-compile', '--json'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  const sizes = JSON.parse(r.stdout) as { main: number; subpackages: Record<string, number>; limit: number };
  expect(sizes.main).toBeLessThan(sizes.limit);
  expect(sizes.subpackages.pay).toBeGreaterThan(16 * 1024); // carries weapp-qrcode's ~16 KB
  for (const bytes of Object.values(sizes.subpackages)) expect(bytes).toBeLessThan(sizes.limit);
});

test('the ES5 check can fail: ES2015 syntax is refused', () => {
  expect(() => parse('const f = () => 1;', { ecmaVersion: 5 })).toThrow();
});
