import { transformFileSync } from '@babel/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

/**
 * DevTools' TypeScript plugin strips types with @babel/plugin-transform-typescript (it does not run
 * tsc), so TypeScript that tsc accepts but Babel 7 does not parse would break the mini-program only in
 * DevTools. Compile every source file the same way here.
 */
const ROOT = path.join(__dirname, '..', '..', 'miniprogram');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'miniprogram_npm' || e.name === 'node_modules' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

describe('the mini-program compiles with Babel as DevTools does', () => {
  const files = sources(ROOT);

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(15);
  });

  it.each(files.map((f) => [path.relative(ROOT, f), f]))('%s', (_name, file) => {
    const out = transformFileSync(file, {
      babelrc: false,
      configFile: false,
      plugins: [['@babel/plugin-transform-typescript', { onlyRemoveTypeImports: false }], '@babel/plugin-transform-modules-commonjs'],
    });
    expect(out?.code).toBeTruthy();
    // Valid script for the JS engine (CommonJS wrapper), no TypeScript left.
    expect(() => new vm.Script(`(function (require, module, exports) {${out!.code}\n})`)).not.toThrow();
  });

  it('uses no flatMap or Promise.prototype.finally (DevTools\' ES5 output does not polyfill them)', () => {
    const offending = files.filter((f) => /\.flatMap\(|\.finally\(/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f));
    expect(offending).toEqual([]);
  });

  it('control: a file Babel cannot parse fails here', () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'babel-')), 'bad.ts');
    fs.writeFileSync(bad, 'function f(a: number => 1) {}\n');
    expect(() =>
      transformFileSync(bad, { babelrc: false, configFile: false, plugins: ['@babel/plugin-transform-typescript', '@babel/plugin-transform-modules-commonjs'] }),
    ).toThrow();
  });
});
