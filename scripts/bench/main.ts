import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { callFigures } from './call-figures';
import { coldRequire } from './cold-require';
import { cryptoFigures } from './crypto-figures';
import { orderToPaid, post, startHost } from './host';
import { buildNotifications, notifyWorker, paidCount, sendNotifications } from './notify-figures';
import { seedOrders } from './seed';

/**
 * `npm run bench`: the figures of issue 12's table, measured in one run on this machine (no pass/fail).
 * Loopback only; bounded (a few minutes). The local host runs as `npm start` runs it (the built
 * .build/local-host.js in its own process, SANDBOX_DIR on disk).
 */

const ROOT = path.resolve(__dirname, '..');
const FUNCTIONS = ['checkout', 'merchant', 'payNotify'];
const print = console.log.bind(console);
// The in-process host of the call counts logs every notification; keep the figures readable.
console.log = () => undefined;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (x: number) => `${x.toFixed(1)} ms`;
const ratio = (x: number) => `${x.toFixed(2)}×`;

async function withSandbox<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A stopped host's SANDBOX_DIR holding `stored` orders: copies of one real PAID order and its trade. */
async function seededDir(stored: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const host = await startHost(ROOT, dir);
  await orderToPaid(host.url, 'bench-template');
  await host.stop();
  await seedOrders(dir, stored - 1, 'PAID');
  return dir;
}

/**
 * One host per level, all running; orders to PAID taken in turn from each (so each level sees the same
 * machine load), 100 per level after a warm-up. Then 20 users at once on the largest.
 */
async function storeLevels(levels: number[]) {
  const dirs = await Promise.all(levels.map((n) => seededDir(n)));
  const hosts = [];
  try {
    for (const dir of dirs) {
      const t0 = performance.now();
      hosts.push({ host: await startHost(ROOT, dir), startMs: performance.now() - t0, times: [] as number[] });
    }
    for (let i = 0; i < 5; i++) for (const h of hosts) await orderToPaid(h.host.url, `bench-warm-${i}`);
    for (let i = 0; i < 100; i++) for (const h of hosts) h.times.push(await orderToPaid(h.host.url, `bench-${i % 10}`));
    const users = 20;
    const largest = hosts[hosts.length - 1].host.url;
    const t0 = performance.now();
    const settled = await Promise.allSettled(Array.from({ length: users * 2 }, (_x, i) => orderToPaid(largest, `burst-${i % users}`)));
    const failed = settled.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    const burst = { orders: users * 2, failed: failed.length, perSecond: (users * 2) / ((performance.now() - t0) / 1000), firstError: failed[0] && String(failed[0].reason).slice(0, 200) };
    const rows = hosts.map((h) => {
      const t = [...h.times].sort((a, b) => a - b);
      return { p50: pct(t, 50), p95: pct(t, 95), startMs: h.startMs };
    });
    return { rows, burst };
  } finally {
    for (const h of hosts) await h.host.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A SANDBOX_DIR with `count` PENDING orders placed at the v3 emulator, and a notification for each. */
async function pendingOrders(dir: string, count: number) {
  const host = await startHost(ROOT, dir);
  const as = { 'X-WX-OPENID': 'bench-notify' };
  const c = await post(`${host.url}/api/checkout`, { action: 'createOrder', items: [{ skuId: 'sku-filter-papers', quantity: 1 }] }, as);
  await post(`${host.url}/api/checkout`, { action: 'pay', orderId: c.body.data.order.orderId, method: 'wechat' }, as);
  await host.stop();
  const { orderIds, trades } = await seedOrders(dir, count, 'PENDING');
  return { orderIds, notes: buildNotifications(dir, trades) };
}

/** Through the host's HTTP route, 8 at a time. */
async function notifyRateHttp(count: number) {
  return withSandbox(async (dir) => {
    const { orderIds, notes } = await pendingOrders(dir, count);
    const host = await startHost(ROOT, dir);
    let r: Awaited<ReturnType<typeof sendNotifications>>;
    try {
      await sendNotifications(host.url, notes.slice(0, 50), 4); // warm-up
      r = await sendNotifications(host.url, notes.slice(50), 8);
    } finally {
      await host.stop();
    }
    return { ...r, sent: notes.length - 50, paid: paidCount(dir, orderIds.slice(50)) };
  });
}

/** Straight to the built function's main(), one at a time, in a process of its own. */
async function notifyRateDirect(count: number) {
  return withSandbox(async (dir) => {
    const { orderIds, notes } = await pendingOrders(dir, count);
    const file = path.join(dir, 'notifications.json');
    fs.writeFileSync(file, JSON.stringify(notes));
    const out = execFileSync(process.execPath, [__filename, '--notify-worker', dir, file], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeout: 300_000 });
    type Rate = { perSecond: number; acked: number; sent: number };
    const r = JSON.parse(out.toString()) as { disk: Rate; memory: Rate };
    // Blocks of 100 alternate, starting on disk: the orders of even blocks are the ones PAID on disk.
    const onDisk = orderIds.slice(50).filter((_id, i) => Math.floor(i / 100) % 2 === 0);
    return { ...r, paidOnDisk: paidCount(dir, onDisk) };
  });
}

/** scripts/size.mjs --json: it compiles with miniprogram-ci (the official compiler) and measures the result. */
function packageSizes(): string[] {
  let out: string;
  try {
    out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'size.mjs'), '--json'], { cwd: ROOT, timeout: 180_000 }).toString();
  } catch (err) {
    // size.mjs exits 1 when a package is over WeChat's limit, still printing the figures.
    out = String((err as { stdout?: Buffer }).stdout ?? '');
  }
  const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) return ['  not measured (scripts/size.mjs gave no figures)'];
  const sizes = JSON.parse(line) as { main: number; mainNpm: number; subpackages: Record<string, number> };
  const kb = (n: number) => `${(n / 1024).toFixed(1).padStart(7)} KB`;
  return [
    `  main package            ${kb(sizes.main)}  (incl. ${(sizes.mainNpm / 1024).toFixed(1)} KB miniprogram_npm)`,
    ...Object.entries(sizes.subpackages).map(([r, b]) => `  ${`subpackage ${r}/`.padEnd(23)} ${kb(b)}`),
    `  goal → ${sizes.main <= 110 * 1024 ? 'met' : 'NOT met'}`,
  ];
}

/** `npm run bench -- notify size`: only the named sections; all of them without names. */
const SECTIONS = ['paid', 'notify', 'calls', 'bundles', 'cold', 'crypto', 'size'] as const;
type Section = (typeof SECTIONS)[number];

function wantedSections(args: string[]): Set<Section> {
  const bad = args.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (bad.length) throw new Error(`unknown bench section ${bad.join(', ')}: choose from ${SECTIONS.join(', ')}`);
  return new Set((args.length ? args : SECTIONS) as Section[]);
}

async function main(only: Set<Section>): Promise<void> {
  const began = Date.now();
  print(`npm run bench — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), Node ${process.version}\n`);

  if (only.has('paid')) await paidSection();
  if (only.has('notify')) await notifySection();
  if (only.has('calls')) await callsSection();
  if (only.has('bundles')) bundlesSection();
  if (only.has('cold')) coldSection();
  if (only.has('crypto')) cryptoSection();
  if (only.has('size')) sizeSection();
  print(`\n(bench took ${((Date.now() - began) / 1000).toFixed(0)} s)`);
}

async function paidSection(): Promise<void> {
  print('order → PAID through the built host (createOrder, pay, wallet, notify, queryOrder): 100 orders per level, one at a time, levels in turn');
  const levels = [100, 1000, 10000];
  const { rows, burst } = await storeLevels(levels);
  const base = rows[0].p50;
  rows.forEach((r, i) => {
    print(`  ${levels[i].toLocaleString('en').padStart(6)} stored orders: p50 ${ms(r.p50).padStart(9)}  p95 ${ms(r.p95).padStart(9)}  p50 ${ratio(r.p50 / base)} of 100  (host start ${ms(r.startMs)})`);
  });
  print(`  20 users at once at 10,000: ${burst.orders} orders, ${burst.failed} failed, ${burst.perSecond.toFixed(1)} orders/s${burst.firstError ? ` (first failure: ${burst.firstError})` : ''}`);
  print(`  goal: p50 at 10,000 ≤ 1.5 × p50 at 100 with no failures → ${rows[2].p50 <= 1.5 * base && burst.failed === 0 ? 'met' : 'NOT met'}`);

}

async function notifySection(): Promise<void> {
  print(`\nnotifications through the built payNotify, the store as npm start runs it (SQLite in SANDBOX_DIR), 2,000 orders each`);
  const { disk: d, memory: m, paidOnDisk } = await notifyRateDirect(2050);
  print(`  main() one at a time, one core:  ${d.perSecond.toFixed(0).padStart(5)}/s; ${d.acked} of ${d.sent} acknowledged, ${paidOnDisk} orders PAID on disk`);
  print(`    in turn with the same database in memory only: ${m.perSecond.toFixed(0)}/s, ${m.acked} of ${m.sent} acknowledged (the disk costs ${ratio(m.perSecond / d.perSecond)})`);
  const h = await notifyRateHttp(2050);
  print(`  through the host's HTTP route, 8 at a time: ${h.perSecond.toFixed(0).padStart(5)}/s; ${h.acked} of ${h.sent} acknowledged, ${h.paid} orders PAID${h.failures.length ? `; failures: ${h.failures.join(' | ')}` : ''}`);
  print(`  goal: ≥ 1,000/s on one core → ${d.perSecond >= 1000 && paidOnDisk === d.sent ? 'met' : 'NOT met'}`);

}

async function callsSection(): Promise<void> {
  print('\ndatabase calls per action (reads = doc().get, queries = get/count of a collection or where(), writes)');
  for (const [name, c] of await callFigures(ROOT)) {
    print(`  ${name.padEnd(28)} reads ${c.read}  queries ${c.query}  writes ${c.write}${c.transaction ? `  transactions ${c.transaction}` : ''}  = ${c.read + c.query + c.write} round trips`);
  }

}

function bundlesSection(): void {
  print('\nfunction bundles (what DevTools uploads), goal ≤ 100 KB each file (a provider file is loaded only when used)');
  let bundlesMet = true;
  for (const fn of FUNCTIONS) {
    const dir = path.join(ROOT, 'cloudfunctions', fn);
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
      const size = fs.statSync(path.join(dir, file)).size;
      bundlesMet &&= size <= 100 * 1024;
      print(`  cloudfunctions/${fn}/${file.padEnd(20)} ${(size / 1024).toFixed(1).padStart(7)} KB`);
    }
  }
  print(`  goal → ${bundlesMet ? 'met' : 'NOT met'}`);
}

function coldSection(): void {
  print('\nown cold require() (fresh process, wx-server-sdk stubbed) against an empty require, medians of 11, goal ≤ 15 ms');
  const cold = coldRequire(ROOT, FUNCTIONS);
  for (const r of cold) print(`  ${r.name.padEnd(10)} ${ms(r.ms - r.emptyMs).padStart(8)} own  (${ms(r.ms)} against ${ms(r.emptyMs)} for an empty file)`);
  print(`  goal → ${cold.every((r) => r.ms - r.emptyMs <= 15) ? 'met' : 'NOT met'}`);

}

function cryptoSection(): void {
  const c = cryptoFigures();
  print('\nper-order crypto, ours against plain node:crypto with the same pre-parsed keys (ops/s, one core)');
  for (const [name, ours, plain] of c.rows) print(`  ${name.padEnd(26)} ${ours.toFixed(0).padStart(7)} vs ${plain.toFixed(0).padStart(7)}  ${ratio(ours / plain)}`);
  print(`  one v3 order (2 signs, 3 verifies, 1 decryption): ${ms(c.perOrder[0])} vs ${ms(c.perOrder[1])}  ${ratio(c.perOrder[1] / c.perOrder[0])} of plain speed`);
  // "Keep": within a tenth of plain node:crypto (the run-to-run noise here).
  print(`  goal: keep (Node's ceiling) → ${c.perOrder[1] / c.perOrder[0] >= 0.9 ? 'met' : 'NOT met'}`);

}

function sizeSection(): void {
  print('\nmain package as compiled by miniprogram-ci, goal ≤ 110 KB');
  for (const l of packageSizes()) print(l);
}

(process.argv[2] === '--notify-worker' ? notifyWorker(ROOT, process.argv[3], process.argv[4]) : Promise.resolve().then(() => main(wantedSections(process.argv.slice(2))))).catch((err) => {
  console.error(err);
  process.exit(1);
});
