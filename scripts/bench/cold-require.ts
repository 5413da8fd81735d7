import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applySandboxDefaults, loadOrCreateSandboxKeys } from '../local-host/sandbox-env';

/**
 * Cold `require()` of each built function in a fresh Node process, with wx-server-sdk stubbed (the
 * runtime provides it), against the same process requiring an empty file: the medians of interleaved runs.
 * The environment is a configured WeChat Pay v3 deployment (the sandbox's merchant keys, the real API
 * address, no PAYJS), so the start-up validation runs and passes as it does in the cloud.
 */
const STUB = `module.exports = { DYNAMIC_CURRENT_ENV: Symbol.for('DYNAMIC_CURRENT_ENV'), init() {}, getWXContext() { return {}; },
  database() { return { command: new Proxy({}, { get: () => () => ({}) }), collection() { return {}; } }; } };`;

const probe = (file: string) =>
  `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;

export function coldRequire(root: string, functions: string[], runs = 11): { name: string; ms: number; emptyMs: number }[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-require-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules', 'wx-server-sdk'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'node_modules', 'wx-server-sdk', 'index.js'), STUB);
    fs.writeFileSync(path.join(dir, 'empty.js'), '');
    for (const fn of functions) fs.copyFileSync(path.join(root, 'cloudfunctions', fn, 'index.js'), path.join(dir, `${fn}.js`));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    applySandboxDefaults(env, loadOrCreateSandboxKeys(path.join(dir, 'sandbox')), 'http://127.0.0.1:9', 'https://127.0.0.1:9');
    // What only the local host sets (its emulator's address and TLS CA), v2's and PAYJS's settings.
    for (const name of Object.keys(env)) if (/^(PAYJS_|WXPAY_V2_|WXPAY_API_CA_PATH$|WXPAY_API_BASE$)/.test(name)) delete env[name];
    const time = (file: string) => Number(execFileSync(process.execPath, ['-e', probe(path.join(dir, file))], { cwd: dir, env }).toString());
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const samples = new Map<string, number[]>([['empty.js', []], ...functions.map((f) => [`${f}.js`, []] as [string, number[]])]);
    for (let r = 0; r < runs; r++) for (const [file, xs] of samples) xs.push(time(file));
    const emptyMs = med(samples.get('empty.js')!);
    return functions.map((name) => ({ name, ms: med(samples.get(`${name}.js`)!), emptyMs }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
