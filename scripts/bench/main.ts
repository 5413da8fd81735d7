import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rsaSign, rsaVerify, requestMessage } from '../../cloudfunctions/common/wxpay/v3/signing';
import { signV2 } from '../../cloudfunctions/common/wxpay/v2/sign';
import { signPayjs } from '../../cloudfunctions/common/payjs/sign';
import { loadBuiltFunction } from '../local-host/load-built-function';
import { startSandbox } from '../local-host/sandbox';

/**
 * `npm run bench`: prints figures (no pass/fail). Protocol operations per second, then orders taken
 * from createOrder to PAID through the built functions on the local host and its v3 emulator.
 */

const ROOT = path.resolve(__dirname, '..');
// The functions log every notification; keep the figures readable.
const print = console.log.bind(console);
console.log = () => undefined;

function opsPerSecond(fn: () => unknown, ms = 1000): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < until) {
    fn();
    n++;
    if ((n & 7) === 0) now = process.hrtime.bigint();
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (x: number) => x.toFixed(x < 10 ? 2 : 0).padStart(9);

async function post(url: string, body: unknown, openid?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (openid) headers['X-WX-OPENID'] = openid;
  return (await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) })).json();
}

async function orderToPaid(url: string, openid: string): Promise<number> {
  const t0 = performance.now();
  const api = `${url}/api/checkout`;
  const { data: c } = await post(api, { action: 'createOrder', items: [{ skuId: 'sku-filter-papers', quantity: 1 }] }, openid);
  const { data: p } = await post(api, { action: 'pay', orderId: c.order.orderId, method: 'wechat' }, openid);
  await post(`${url}/sandbox/api/wxpay/request-payment`, { params: p.payment, outcome: 'pay' });
  for (;;) {
    const { data } = await post(api, { action: 'queryOrder', orderId: c.order.orderId }, openid);
    if (data.order.status === 'PAID') return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function main(): Promise<void> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const message = requestMessage('POST', '/v3/pay/transactions/jsapi', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '{"appid":"wx0123456789abcdef"}');
  const signature = rsaSign(message, privateKey);
  const fields = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };
  const key = '192006250b4c09247ec02edce69f6a2d';
  print('protocol operations (ops/s, one core)');
  print(`  v3 SHA256withRSA sign (request, paySign) ${fmt(opsPerSecond(() => rsaSign(message, privateKey)))}`);
  print(`  v3 SHA256withRSA verify (answers, notify) ${fmt(opsPerSecond(() => rsaVerify(message, signature, publicKey)))}`);
  print(`  v2 MD5 sign                              ${fmt(opsPerSecond(() => signV2(fields, 'MD5', key)))}`);
  print(`  v2 HMAC-SHA256 sign                      ${fmt(opsPerSecond(() => signV2(fields, 'HMAC-SHA256', key)))}`);
  print(`  PAYJS MD5 sign                           ${fmt(opsPerSecond(() => signPayjs({ mchid: '1', total_fee: 1, out_trade_no: 'x', nonce: 'n' }, key)))}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  process.env.ORDER_TTL_SECONDS = '1800';
  const s = await startSandbox({ port: 0, sandboxDir: dir, rootDir: ROOT, sweepEveryMs: 0, loadFunction: (n) => loadBuiltFunction(ROOT, n) });
  try {
    const n = 100;
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(await orderToPaid(s.url, `bench-${i % 10}`));
    times.sort((a, b) => a - b);
    print(`\norder → PAID through the local host (built functions, v3 emulator, real signed notifications)`);
    print(`  sequential, ${n} orders: p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms, max ${times[n - 1].toFixed(1)} ms`);
    const c = 20;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: c * 2 }, (_, i) => orderToPaid(s.url, `burst-${i % c}`)));
    const secs = (performance.now() - t0) / 1000;
    print(`  ${c * 2} orders, ${c} users at once: ${((c * 2) / secs).toFixed(0)} orders/s`);
  } finally {
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  print('\nbundle sizes (what DevTools uploads)');
  for (const fn of ['checkout', 'payNotify']) {
    const size = fs.statSync(path.join(ROOT, 'cloudfunctions', fn, 'index.js')).size;
    print(`  cloudfunctions/${fn}/index.js ${(size / 1024).toFixed(1).padStart(8)} KB`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
