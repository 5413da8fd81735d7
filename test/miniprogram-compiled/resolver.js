/**
 * Resolves like the mini-program runtime for the compiled package: a bare `require('pkg')` from a file in
 * .build/miniprogram/ looks for miniprogram_npm/pkg in the file's folder and each parent up to the package
 * root (what 构建 npm wrote), never node_modules. Test files get the same copy for the packages 构建 npm
 * packed, so a store and the test observing it share one mobx.
 */
const fs = require('node:fs');
const path = require('node:path');

const COMPILED = path.join(__dirname, '..', '..', '.build', 'miniprogram');

function packageEntry(dir) {
  const pkgFile = path.join(dir, 'package.json');
  const main = fs.existsSync(pkgFile) ? JSON.parse(fs.readFileSync(pkgFile, 'utf8')).main : null;
  for (const candidate of [main, main && `${main}.js`, 'index.js']) {
    if (candidate && fs.existsSync(path.join(dir, candidate)) && fs.statSync(path.join(dir, candidate)).isFile()) return path.join(dir, candidate);
  }
  return null;
}

function fromMiniprogramNpm(request, fromDir) {
  const [scopeOrName, maybeName] = request.split('/');
  const name = scopeOrName.startsWith('@') ? `${scopeOrName}/${maybeName}` : scopeOrName;
  const rest = request.slice(name.length);
  for (let dir = fromDir; dir.startsWith(COMPILED); dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, 'miniprogram_npm', name);
    if (fs.existsSync(pkgDir)) return rest ? require.resolve(path.join(pkgDir, rest)) : packageEntry(pkgDir);
    if (dir === COMPILED) break;
  }
  return null;
}

module.exports = (request, options) => {
  const bare = !request.startsWith('.') && !path.isAbsolute(request) && !request.startsWith('node:');
  if (bare) {
    const inCompiled = options.basedir.startsWith(COMPILED);
    const found = fromMiniprogramNpm(request, inCompiled ? options.basedir : COMPILED);
    if (found) return found;
    if (inCompiled) throw new Error(`${request}: not in any miniprogram_npm above ${path.relative(COMPILED, options.basedir) || '.'} (构建 npm did not pack it)`);
  }
  return options.defaultResolver(request, options);
};
