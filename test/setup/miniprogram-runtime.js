/**
 * jest's runtime with the mini-program's `require.async` (分包异步化, base library 2.11.2+), which page code
 * uses to reach a module of another package (the cart reaches the pay subpackage's checkout store).
 * miniprogram-simulate runs page code with jest's module `require`, so that is where `async` goes, as
 * WeChat documents it: `require.async(path)` resolves `path` against the calling file and answers a
 * Promise of the module's exports, later than the call (WeChat may first download the package), or
 * rejects with `{ mod, errMsg }` when there is no such module. The module is jest's own, the same
 * instance a static import gets. WeChat loads `.js` files: on the TypeScript sources a `.js` path finds
 * its `.ts` file; on the compiled package it must exist as written.
 */
const Runtime = require('jest-runtime').default;

function resolveModule(moduleRequire, request) {
  try {
    return moduleRequire.resolve(request);
  } catch (err) {
    if (!request.endsWith('.js')) throw err;
    const source = moduleRequire.resolve(request.slice(0, -'.js'.length));
    if (!source.endsWith('.ts')) throw err;
    return source;
  }
}

function requireAsync(moduleRequire, request) {
  return Promise.resolve().then(() => {
    let file;
    try {
      file = resolveModule(moduleRequire, request);
    } catch (err) {
      // The shape WeChat's examples catch: `.catch(({ mod, errMsg }) => …)`.
      return Promise.reject({ mod: request, errMsg: `require.async:fail ${err.message.split('\n')[0]}` });
    }
    return moduleRequire(file);
  });
}

class MiniprogramRuntime extends Runtime {
  constructor(...args) {
    super(...args);
    // Every module's `require` (and the test file's) is made by this builder in jest 30.
    const builder = this.requireBuilder;
    if (!builder || typeof builder.for !== 'function') {
      throw new Error('jest-runtime no longer has requireBuilder.for: update test/setup/miniprogram-runtime.js for this jest version');
    }
    const build = builder.for.bind(builder);
    builder.for = (from, options) => {
      const moduleRequire = build(from, options);
      moduleRequire.async = (request) => requireAsync(moduleRequire, request);
      return moduleRequire;
    };
  }
}

module.exports = MiniprogramRuntime;
