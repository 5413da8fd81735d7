import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The built functions (`npm test` builds first) as DevTools uploads them: index.js plus one file per
 * provider, each required on first use. Each run is a fresh Node process with wx-server-sdk stubbed.
 */

const ROOT = path.join(__dirname, '..', '..');
const fnDir = (name: string) => path.join(ROOT, 'cloudfunctions', name);

/** Requires the built function, optionally calls it once, and tells which of its files got loaded. */
function run(name: string, env: Record<string, string>, event?: unknown): { loaded: string[]; reply?: unknown } {
  const script = `
    const Module = require('node:module');
    const load = Module._load;
    const empty = { where: () => empty, limit: () => empty, orderBy: () => empty, get: async () => ({ data: [] }) };
    const sdk = { DYNAMIC_CURRENT_ENV: 'env', init() {}, getWXContext: () => ({}), database: () => ({ command: {}, collection: () => empty }) };
    Module._load = function (request, ...rest) { return request === 'wx-server-sdk' ? sdk : load.call(this, request, ...rest); };
    const fn = require(${JSON.stringify(path.join(fnDir(name), 'index.js'))});
    const files = () => Object.keys(require.cache);
    (async () => {
      const reply = process.env.EVENT ? await fn.main(JSON.parse(process.env.EVENT)) : undefined;
      const loaded = files().filter((f) => f.startsWith(${JSON.stringify(fnDir(name) + path.sep)})).map((f) => require('node:path').basename(f)).sort();
      console.log(JSON.stringify({ loaded, reply }));
    })();`;
  const child = spawnSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', ...env, ...(event ? { EVENT: JSON.stringify(event) } : {}) }, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
const pem = (file: string, text: string) => (fs.writeFileSync(path.join(dir, file), text), path.join(dir, file));
const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const wxpay = { WXPAY_MCHID: '1900000109', WXPAY_APPID: 'wx0123456789abcdef', WXPAY_NOTIFY_URL: 'https://example.com/payNotify' };
const v3 = {
  ...wxpay,
  WXPAY_API_V3_KEY: 'k'.repeat(32),
  WXPAY_CERT_SERIAL: 'ABCDEF0123456789',
  WXPAY_PRIVATE_KEY_PATH: pem('key.pem', pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
  WXPAY_PLATFORM_PUBLIC_KEY_ID: 'PUB_KEY_ID_0000',
  WXPAY_PLATFORM_PUBLIC_KEY_PATH: pem('pub.pem', pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
};
const v2 = { ...wxpay, WXPAY_API_VERSION: 'v2', WXPAY_V2_KEY: 'a'.repeat(32) };
const payjs = { PAYJS_MCHID: '1500000001', PAYJS_KEY: 'k', PAYJS_NOTIFY_URL: 'https://example.com/payNotify' };
const notify = (headers: Record<string, string>, body: string) => ({ httpMethod: 'POST', path: '/payNotify', headers, body });

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const FUNCTIONS = fs.readdirSync(path.join(ROOT, 'cloudfunctions')).filter((d) => fs.existsSync(path.join(fnDir(d), 'src', 'index.ts')));

it.each(FUNCTIONS)('%s/index.js stays under 100 KB, each provider in its own file beside it', (name) => {
  expect(fs.statSync(path.join(fnDir(name), 'index.js')).size).toBeLessThanOrEqual(100 * 1024);
  expect(fs.readdirSync(fnDir(name)).filter((f) => f.startsWith('provider-')).sort()).toEqual(['provider-payjs.js', 'provider-wxpay-v2.js', 'provider-wxpay-v3.js']);
  expect(fs.readFileSync(path.join(fnDir(name), 'index.js'), 'utf8')).not.toContain('XMLParser');
});

it.each(FUNCTIONS)('%s: each provider file stays under 100 KB too; the XML parser is only in v2\'s', (name) => {
  for (const f of ['provider-payjs.js', 'provider-wxpay-v2.js', 'provider-wxpay-v3.js']) expect(fs.statSync(path.join(fnDir(name), f)).size).toBeLessThanOrEqual(100 * 1024);
  for (const f of ['index.js', 'provider-payjs.js', 'provider-wxpay-v3.js']) expect(fs.readFileSync(path.join(fnDir(name), f), 'utf8')).not.toContain('SAXParser');
  expect(fs.readFileSync(path.join(fnDir(name), 'provider-wxpay-v2.js'), 'utf8')).toContain('SAXParser');
});

it('loading a function loads no provider', () => {
  expect(run('payNotify', v3)).toEqual({ loaded: ['index.js'] });
  expect(run('checkout', v2)).toEqual({ loaded: ['index.js'] });
});

it('a v3 deployment loads v3 only, never v2 and its XML library', () => {
  const r = run('payNotify', v3, notify({ 'Wechatpay-Signature': 'forged', 'Content-Type': 'application/json' }, '{}'));
  // Refused by the v3 provider itself (its own 401), not failed (500): the files work together.
  expect(r).toMatchObject({ loaded: ['index.js', 'provider-wxpay-v3.js'], reply: { statusCode: 401 } });
});

it('a v2 deployment loads v2 on its first notification; its refusals are the shared NotificationRejected', () => {
  const r = run('payNotify', v2, notify({ 'Content-Type': 'text/xml' }, '<xml><return_code>SUCCESS</return_code><out_trade_no>T1</out_trade_no><sign>BAD</sign></xml>'));
  expect(r).toMatchObject({ loaded: ['index.js', 'provider-wxpay-v2.js'], reply: { statusCode: 401 } });
  expect(String((r.reply as { body: string }).body)).toContain('<return_code><![CDATA[FAIL]]></return_code>');
});

it('a PAYJS deployment loads PAYJS only', () => {
  const r = run('payNotify', payjs, notify({ 'Content-Type': 'application/x-www-form-urlencoded' }, 'return_code=1&mchid=1500000001&sign=BAD'));
  expect(r).toMatchObject({ loaded: ['index.js', 'provider-payjs.js'], reply: { statusCode: 401 } });
});
