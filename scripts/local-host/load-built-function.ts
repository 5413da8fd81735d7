import Module from 'node:module';
import * as path from 'node:path';
import * as standin from './wx-server-sdk';

type Loader = { _load(request: string, parent: unknown, isMain: boolean): unknown };
const loader = Module as unknown as Loader;
const originalLoad = loader._load;
let installed = false;

/**
 * Loads a built cloud function (cloudfunctions/<name>/index.js, exactly what DevTools uploads) with
 * `require('wx-server-sdk')` answered by the local stand-in.
 */
export function loadBuiltFunction(rootDir: string, name: string): (event: unknown) => Promise<unknown> {
  if (!installed) {
    loader._load = function (request, parent, isMain) {
      return request === 'wx-server-sdk' ? standin : originalLoad.call(this, request, parent, isMain);
    };
    installed = true;
  }
  const file = path.join(rootDir, 'cloudfunctions', name, 'index.js');
  const mod = require(file) as { main?: (event: unknown) => Promise<unknown> };
  if (typeof mod.main !== 'function') throw new Error(`${file} does not export main: run \`npm run build\``);
  return mod.main;
}
