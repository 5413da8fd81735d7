/**
 * DevTools automator suite: catalog → cart → pay → result, in the real mini-program runtime.
 * Needs WeChat DevTools (Windows/macOS) with 设置 → 安全 → 服务端口 enabled, and a backend: the cloud
 * env from miniprogram/config.ts (mode 'cloud'), or `npm start` with mode 'local'.
 */
import path from 'node:path';
import automator from 'miniprogram-automator';

type MiniProgram = Awaited<ReturnType<typeof automator.launch>>;

const cliPath = process.env.WX_DEVTOOLS_CLI;
const projectPath = path.join(__dirname, '..', '..');

if (!cliPath) {
  console.log(
    [
      'test:e2e skipped: set WX_DEVTOOLS_CLI to the WeChat DevTools CLI, e.g.',
      '  macOS:   /Applications/wechatwebdevtools.app/Contents/MacOS/cli',
      '  Windows: C:\\Program Files (x86)\\Tencent\\微信web开发者工具\\cli.bat',
      'and enable 设置 → 安全设置 → 服务端口 in DevTools. Run 工具 → 构建 npm once after npm install.',
    ].join('\n'),
  );
}

const suite = cliPath ? describe : describe.skip;

/** Polls an async condition (page.waitFor would treat the returned promise as already true). */
async function until(condition: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 300));
  }
}

suite('checkout flow in DevTools', () => {
  let mp: MiniProgram;

  beforeAll(async () => {
    mp = await automator.launch({ cliPath, projectPath, trustProject: true });
    // Serialised into the app: data comes in through the extra argument, not a closure.
    await mp.mockWxMethod(
      'requestPayment',
      function (options: { success?: (r: unknown) => void; complete?: (r: unknown) => void }, result: unknown) {
        setTimeout(() => {
          if (options.success) options.success(result);
          if (options.complete) options.complete(result);
        }, 100);
      },
      { errMsg: 'requestPayment:ok' },
    );
    // Local mode asks 模拟支付 with an action sheet: choose 支付成功.
    await mp.mockWxMethod('showActionSheet', { errMsg: 'showActionSheet:ok', tapIndex: 0 });
  });

  afterAll(async () => {
    if (!mp) return;
    await mp.restoreWxMethod('requestPayment');
    await mp.restoreWxMethod('showActionSheet');
    await mp.close();
  });

  test('buys the first product and reaches the result page', async () => {
    const mode = (await mp.evaluate(function () {
      return getApp<{ globalData: { mode: string } }>().globalData.mode;
    })) as string;

    const catalog = await mp.reLaunch('/pages/catalog/index');
    if (!catalog) throw new Error('no catalog page');
    await until(async () => (await catalog.data('status')) !== 'loading');
    expect(await catalog.data('status')).toBe('ready');
    const add = await catalog.$('.add');
    if (!add) throw new Error('no product to add');
    await add.tap();
    await catalog.waitFor(500);
    expect(await catalog.data('cartCount')).toBe(1);

    const cart = await mp.navigateTo('/pages/cart/index');
    if (!cart) throw new Error('no cart page');
    expect(await cart.data('lines.length')).toBe(1);
    const total = (await cart.data('totalText')) as string;
    const submit = await cart.$('#submit');
    if (!submit) throw new Error('no submit button');
    await submit.tap();
    await until(async () => (await mp.currentPage())?.path === 'pay/result/index');
    const result = await mp.currentPage();
    if (!result) throw new Error('no current page');
    expect(await result.data('amountText')).toBe(total);
    // A mocked requestPayment success only starts confirmation; in local mode the emulator really pays.
    if (mode === 'local') {
      await until(async () => (await result.data('phase')) === 'paid');
      const paid = await result.$('#paid');
      expect(paid && (await paid.text())).toBe('支付成功');
    } else {
      expect(['confirming', 'paid']).toContain(await result.data('phase'));
    }
  });
});
