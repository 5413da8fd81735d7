/**
 * DevTools automator suite: catalog → cart → pay → result, in the real mini-program runtime.
 * Needs WeChat DevTools (macOS/Windows) with 设置 → 安全设置 → 服务端口 enabled. By default it runs in local
 * mode against a local host it starts itself (no merchant account); E2E_MODE=cloud uses your cloud env.
 * Without DevTools it fails with a message saying what to install or set: never a silent pass.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import automator from 'miniprogram-automator';

type MiniProgram = Awaited<ReturnType<typeof automator.launch>>;

const ROOT = path.join(__dirname, '..', '..');
/** A cold DevTools start (login check, project open, compile) takes well over a minute on some Macs. */
const LAUNCH_TIMEOUT_MS = 240_000;
const MODE = process.env.E2E_MODE === 'cloud' ? 'cloud' : 'local';
const LOCAL_PORT = 8787; // miniprogram/config.ts localBaseUrl
const LOCAL_OPENID = 'local-openid-0001'; // miniprogram/config.ts localOpenId

const CLI_CANDIDATES = [
  process.env.WX_DEVTOOLS_CLI,
  '/Applications/wechatwebdevtools.app/Contents/MacOS/cli',
  'C:\\Program Files (x86)\\Tencent\\微信web开发者工具\\cli.bat',
  'C:\\Program Files\\Tencent\\微信web开发者工具\\cli.bat',
].filter((p): p is string => !!p);
const cliPath = CLI_CANDIDATES.find((p) => fs.existsSync(p));
const NOT_FOUND = [
  'WeChat DevTools not found, so the DevTools suite cannot run. Looked in:',
  ...CLI_CANDIDATES.map((p) => `  ${p}`),
  'Install DevTools (macOS or Windows) or set WX_DEVTOOLS_CLI to its cli, and enable 设置 → 安全设置 → 服务端口.',
].join('\n');

async function until(condition: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** 构建 npm as DevTools does, so the runtime loads what package.json pins. */
async function buildNpm(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'scripts', 'compile-miniprogram.mjs')], { cwd: ROOT, stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`构建 npm / compile failed (${code})`))));
  });
}

async function startLocalHost(): Promise<ChildProcess> {
  const host = spawn(process.execPath, [path.join(ROOT, '.build', 'local-host.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(LOCAL_PORT), SANDBOX_DIR: path.join(ROOT, '.sandbox-e2e') },
    stdio: 'inherit',
  });
  await until(async () => {
    try {
      return (await fetch(`http://127.0.0.1:${LOCAL_PORT}/`)).ok;
    } catch {
      return false;
    }
  }, 20000);
  return host;
}

async function localCall(data: object): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${LOCAL_PORT}/api/checkout`, { method: 'POST', headers: { 'X-WX-OPENID': LOCAL_OPENID }, body: JSON.stringify(data) });
  return res.json();
}

if (!cliPath) {
  test('WeChat DevTools is installed', () => {
    throw new Error(NOT_FOUND);
  });
}

(cliPath ? describe : describe.skip)(`checkout flow in DevTools (${MODE} mode)`, () => {
  let mp: MiniProgram;
  let host: ChildProcess | undefined;
  const created: string[] = [];

  beforeAll(async () => {
    await buildNpm();
    if (MODE === 'local') host = await startLocalHost();
    mp = await automator.launch({ cliPath, projectPath: ROOT, trustProject: true, timeout: LAUNCH_TIMEOUT_MS });
    await mp.evaluate(function (mode: string) {
      getApp<{ useMode(m: string): void }>().useMode(mode);
    }, MODE);
    // The documented shapes: a result object for requestPayment and the 模拟支付 sheet (支付成功).
    await mp.mockWxMethod('requestPayment', { errMsg: 'requestPayment:ok' });
    await mp.mockWxMethod('showActionSheet', { errMsg: 'showActionSheet:ok', tapIndex: 0 });
    await mp.mockWxMethod('showModal', { errMsg: 'showModal:ok', confirm: true, cancel: false });
  }, LAUNCH_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    // Orders this run created and did not pay are cancelled, giving their stock back.
    for (const orderId of created) {
      if (MODE === 'local') await localCall({ action: 'cancelOrder', orderId }).catch(() => undefined);
      else if (mp) {
        await mp.evaluate(function (id: string) {
          return wx.cloud.callFunction({ name: 'checkout', data: { action: 'cancelOrder', orderId: id } }).catch(() => undefined);
        }, orderId);
      }
    }
    if (mp) {
      for (const m of ['requestPayment', 'showActionSheet', 'showModal']) await mp.restoreWxMethod(m);
      await mp.close();
    }
    host?.kill();
  }, 60_000);

  test('buys a product and reaches the result page', async () => {
    const catalog = await mp.reLaunch('/pages/catalog/index');
    if (!catalog) throw new Error('no catalog page');
    await until(async () => (await catalog.data('status')) !== 'loading');
    expect(await catalog.data('status')).toBe('ready');
    // Whatever an earlier run left in the cart: compare with before, never with fixed counts.
    const before = (await catalog.data('cartCount')) as number;
    const add = await catalog.$('.add');
    if (!add) throw new Error('no product to add');
    await add.tap();
    await until(async () => (await catalog.data('cartCount')) === before + 1, 5000);

    const cart = await mp.navigateTo('/pages/cart/index');
    if (!cart) throw new Error('no cart page');
    await until(async () => ((await cart.data('methods.length')) as number) > 0);
    expect(await cart.data('lines.length')).toBeGreaterThan(0);
    const total = (await cart.data('totalText')) as string;
    const submit = await cart.$('#submit');
    if (!submit) throw new Error('no submit button');
    await submit.tap();
    await until(async () => (await mp.currentPage())?.path === 'pay/result/index');
    const result = await mp.currentPage();
    if (!result) throw new Error('no current page');
    const orderId = (await result.data('orderId')) as string;
    if (orderId) created.push(orderId);
    expect(await result.data('amountText')).toBe(total);
    if (MODE === 'local') {
      // The emulator really pays: the signed notification, payNotify, then queryOrder says PAID.
      await until(async () => (await result.data('phase')) === 'paid');
      const paid = await result.$('#paid');
      expect(paid && (await paid.text())).toBe('支付成功');
    } else {
      // A mocked requestPayment success only starts confirmation; no real payment happened.
      expect(['confirming', 'paid']).toContain(await result.data('phase'));
    }
  });
});
