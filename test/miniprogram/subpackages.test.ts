/** @jest-environment jsdom */
/**
 * Package boundaries as WeChat enforces them: a file may `require` only its own package or the main
 * package; anything else is reached with require.async (分包异步化), which the test runtime provides as
 * WeChat documents it (test/setup/miniprogram-runtime.js). Run on the sources and on the compiled package.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMPILED, getAppOptions, loadPage, MINIPROGRAM_ROOT, mount, settle, simulate, until } from './setup';
import { cart } from '../../miniprogram/stores/cart';
import { setTransport } from '../../miniprogram/services/api';
import { FakeTransport, ok } from './fake-transport';

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, AnyFn> }).wx;
const CHECKOUT = '../../miniprogram/pay/stores/checkout';

// The compiled app.json spells it subPackages.
const app = JSON.parse(fs.readFileSync(path.join(MINIPROGRAM_ROOT, 'app.json'), 'utf8')) as { subpackages?: Array<{ root: string }>; subPackages?: Array<{ root: string }> };
const roots = (app.subpackages ?? app.subPackages ?? []).map((s) => s.root.replace(/\/$/, ''));
const packageOf = (rel: string) => roots.find((r) => rel.startsWith(`${r}/`)) ?? '';

function scripts(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return ['miniprogram_npm', 'node_modules', '@babel', 'types'].includes(e.name) ? [] : scripts(p);
    return (COMPILED ? e.name.endsWith('.js') : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) ? [p] : [];
  });
}

/** The relative module paths a script loads at once, and those it loads with require.async. */
function requests(code: string): { static: string[]; async: string[] } {
  const found = (re: RegExp) => [...code.matchAll(re)].map((m) => m[1]).filter((r) => r.startsWith('.'));
  if (COMPILED) return { static: found(/(?<!\.)\brequire\("([^"]+)"\)/g), async: found(/require\.async\("([^"]+)"\)/g) };
  // Type-only imports are erased by the compiler; `import { x, type Y }` still loads the module.
  return { static: found(/^import\s+(?!type\s)(?:[^;]*?\sfrom\s+)?'([^']+)'/gm), async: found(/require\.async\('([^']+)'\)/g) };
}

function target(file: string, request: string): string | null {
  const base = path.resolve(path.dirname(file), request);
  const candidates = COMPILED ? [base, `${base}.js`] : [base, `${base}.ts`, base.replace(/\.js$/, '.ts')];
  const hit = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
  return hit ? path.relative(MINIPROGRAM_ROOT, hit).split(path.sep).join('/') : null;
}

test('a return that comes before its handler loads (a cold start) reaches the pay store once it is loaded', async () => {
  require('../../miniprogram/app');
  const hint = { success: true, resultCode: 'SUCCESS', msg: '支付成功', payjsOrderId: 'PJ7' };
  (getAppOptions().onShow as (o: object) => void)({ scene: 1038, path: 'pages/catalog/index', referrerInfo: { appId: 'wx959c8c1fb2d877b5', extraData: hint } });
  // The pay subpackage was not loaded yet: nothing of it ran at launch.
  expect(Object.keys((require as unknown as NodeJS.Require).cache).some((f) => f.includes(`${path.sep}pay${path.sep}stores${path.sep}`))).toBe(false);
  const { checkout } = (await require.async(`${CHECKOUT}.js`)) as typeof import('../../miniprogram/pay/stores/checkout');
  expect(checkout.payjsHint).toEqual(hint);
});

test('require.async answers later with the module itself, the instance a static require gets', async () => {
  const order: string[] = [];
  const loading = require.async(`${CHECKOUT}.js`).then((mod: unknown) => {
    order.push('loaded');
    return mod;
  });
  order.push('after the call');
  const mod = await loading;
  expect(order).toEqual(['after the call', 'loaded']);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  expect(mod).toBe(require(CHECKOUT));
});

test('require.async of a module that is not there rejects with { mod, errMsg }, as WeChat does', async () => {
  await expect(require.async('../../miniprogram/pay/stores/nothing-here.js')).rejects.toEqual({
    mod: '../../miniprogram/pay/stores/nothing-here.js',
    errMsg: expect.stringContaining('require.async:fail'),
  });
});

test('no script requires another package at once; every require.async reaches a file of another package', () => {
  const files = scripts(MINIPROGRAM_ROOT);
  expect(roots).toEqual(['pay', 'merchant']);
  expect(files.length).toBeGreaterThan(20);
  const crossing: string[] = [];
  const asyncTargets: string[] = [];
  for (const file of files) {
    const rel = path.relative(MINIPROGRAM_ROOT, file).split(path.sep).join('/');
    const { static: now, async: later } = requests(fs.readFileSync(file, 'utf8'));
    for (const r of now) {
      const to = target(file, r);
      if (to && packageOf(to) && packageOf(to) !== packageOf(rel)) crossing.push(`${rel} → ${to}`);
    }
    for (const r of later) {
      const to = target(file, r);
      asyncTargets.push(`${rel} → ${to ?? `${r} (missing)`}`);
      expect(to).not.toBeNull();
      expect(packageOf(to!)).not.toBe(packageOf(rel));
    }
  }
  expect(crossing).toEqual([]);
  expect(asyncTargets).toEqual([`pages/cart/index.${COMPILED ? 'js' : 'ts'} → pay/stores/checkout.${COMPILED ? 'js' : 'ts'}`]);
});

test('the check above does fail: a main-package file that requires the pay subpackage at once', () => {
  const file = path.join(MINIPROGRAM_ROOT, 'pages', 'cart', COMPILED ? 'index.js' : 'index.ts');
  const code = COMPILED ? 'var c=require("../../pay/stores/checkout");' : "import { checkout } from '../../pay/stores/checkout';\n";
  const to = target(file, requests(code).static[0]);
  expect(packageOf(to!)).toBe('pay');
});

interface ComponentJson {
  usingComponents?: Record<string, string>;
  componentPlaceholder?: Record<string, string>;
}

/** Components `json` (at `rel`) takes from another package without a placeholder to show until it is loaded. */
function unplacedCrossings(rel: string, json: ComponentJson): string[] {
  return Object.entries(json.usingComponents ?? {}).flatMap(([tag, used]) => {
    if (used.startsWith('plugin://')) return [];
    const to = used.startsWith('/') ? used.slice(1) : path.posix.join(path.posix.dirname(rel), used);
    return packageOf(to) && packageOf(to) !== packageOf(rel) && !json.componentPlaceholder?.[tag] ? [`${rel} uses ${tag} (${to})`] : [];
  });
}

test('a component used from another package has a componentPlaceholder (分包异步化)', () => {
  const jsons = (function walk(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return ['miniprogram_npm', 'node_modules'].includes(e.name) ? [] : walk(p);
      return e.name === 'index.json' ? [p] : [];
    });
  })(MINIPROGRAM_ROOT);
  const crossings: string[] = [];
  const missing: string[] = [];
  for (const file of jsons) {
    const rel = path.relative(MINIPROGRAM_ROOT, file).split(path.sep).join('/').replace(/\.json$/, '');
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as ComponentJson;
    crossings.push(...unplacedCrossings(rel, { usingComponents: json.usingComponents }));
    missing.push(...unplacedCrossings(rel, json));
  }
  expect(crossings).toEqual(['merchant/order/index uses order-refunds (pay/components/order-refunds/index)']);
  expect(missing).toEqual([]);
});

test('the cart says so, and keeps the cart, when the pay subpackage cannot be loaded', async () => {
  // What a failed download looks like to the page: require.async rejects.
  jest.doMock(CHECKOUT, () => {
    throw new Error('downloading the pay subpackage failed');
  });
  const t = new FakeTransport()
    .on('listProducts', () => ok({ products: [{ skuId: 'tea', name: '绿茶', priceFen: 1990, stock: 5 }], payMethods: ['wechat'] }))
    .on('createOrder', () => {
      throw new Error('no order may be made');
    });
  setTransport(t);
  const toast = jest.fn();
  wxStub.showToast = toast;
  cart.clear();
  cart.add({ skuId: 'tea', name: '绿茶', priceFen: 1990, stock: 5 });
  const comp = mount(simulate.render(loadPage('pages/cart/index')));
  (comp.instance as unknown as { onShow(): void }).onShow();
  await until(() => comp.data.methods.length > 0);
  comp.querySelector('#submit')!.dispatchEvent('tap');
  await until(() => toast.mock.calls.length > 0);
  await settle();
  expect(toast.mock.calls[0][0]).toMatchObject({ title: '网络不佳，请稍后重试' });
  expect(t.callsOf('createOrder')).toHaveLength(0);
  expect(cart.items).toHaveLength(1);
  expect(comp.data.busy).toBe(false);
});
