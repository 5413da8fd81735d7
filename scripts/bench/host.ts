import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

/** The built local host (`.build/local-host.js`, what `npm start` runs) as a child process on loopback. */

export interface Host {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function startHost(root: string, sandboxDir: string, port?: number): Promise<Host> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port ?? (await freePort())), SANDBOX_DIR: sandboxDir, ORDER_TTL_SECONDS: '1800' };
  // BENCH_HOST_NODE_ARGS (e.g. "--cpu-prof") profiles the host.
  const nodeArgs = (process.env.BENCH_HOST_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, '.build', 'local-host.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the local host did not start within 60 s:\n${out}`)), 60_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.length > 100_000) out = out.slice(-50_000);
      const m = /Local host listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the local host exited with ${code}:\n${out}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url, child, stop };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (an empty 204, say): keep the text.
  }
  return { status: res.status, body: parsed };
}

/** One order from createOrder to PAID as the mini-program and the payer drive it; rejects on any error. */
export async function orderToPaid(url: string, openid: string): Promise<number> {
  const t0 = performance.now();
  const api = `${url}/api/checkout`;
  const as = { 'X-WX-OPENID': openid };
  const created = await post(api, { action: 'createOrder', items: [{ skuId: 'sku-filter-papers', quantity: 1 }] }, as);
  if (!created.body?.ok) throw new Error(`createOrder: ${JSON.stringify(created.body)}`);
  const orderId = created.body.data.order.orderId as string;
  const paid = await post(api, { action: 'pay', orderId, method: 'wechat' }, as);
  if (!paid.body?.ok) throw new Error(`pay: ${JSON.stringify(paid.body)}`);
  const wallet = await post(`${url}/sandbox/api/wxpay/request-payment`, { params: paid.body.data.payment, outcome: 'pay' });
  if (wallet.status !== 200) throw new Error(`request-payment: ${wallet.status} ${JSON.stringify(wallet.body)}`);
  for (let i = 0; i < 2000; i++) {
    const q = await post(api, { action: 'queryOrder', orderId }, as);
    if (!q.body?.ok) throw new Error(`queryOrder: ${JSON.stringify(q.body)}`);
    if (q.body.data.order.status === 'PAID') return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`order ${orderId} not PAID after 2000 queries`);
}
