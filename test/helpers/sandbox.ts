import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CheckoutAction, CheckoutData, EventOf, Order, Result } from '../../typings/checkout';
import { startSandbox, type RunningSandbox } from '../../scripts/local-host/sandbox';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface TestSandbox extends RunningSandbox {
  dir: string;
  /** POST /api/checkout as `openid` (no header when openid is undefined). */
  call<A extends CheckoutAction>(openid: string | undefined, event: EventOf<A> | Record<string, unknown>): Promise<Result<CheckoutData[A]>>;
  /** Like call, but fails the test unless ok. */
  ok<A extends CheckoutAction>(openid: string, event: EventOf<A>): Promise<CheckoutData[A]>;
  post(route: string, body: unknown): Promise<{ status: number; body: any }>;
  stock(skuId: string): Promise<number>;
  order(orderId: string): Promise<Record<string, any>>;
}

/** One HTTP request over node:http (jsdom test environments have no global fetch). */
export function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = res.body.toString('utf8');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

/**
 * The local host in this process, with the cloud functions loaded from src/ (jest maps wx-server-sdk to
 * the stand-in). `env` is applied to process.env before the functions read it; one sandbox per test file.
 * `at` runs it on a SANDBOX_DIR the caller owns (kept on close, so a second start finds the first one's
 * state); a restart also passes the first one's port, since the loaded functions keep the configuration
 * of the first start, port included.
 */
export async function startTestSandbox(env: Record<string, string> = {}, at?: { dir: string; port?: number }): Promise<TestSandbox> {
  const dir = at?.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
  // Flow tests place many orders as one user; the cap on unpaid orders has its own test.
  Object.assign(process.env, { MAX_PENDING_ORDERS: '1000', ...env });
  const s = await startSandbox({
    port: at?.port ?? 0,
    sandboxDir: dir,
    rootDir: ROOT,
    redeliveryScale: 1000,
    sweepEveryMs: 0,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loadFunction: (name) => require(path.join(ROOT, 'cloudfunctions', name, 'src', 'index')).main,
  });
  const call = async (openid: string | undefined, event: unknown) => {
    const r = await postJson(`${s.url}/api/checkout`, event, openid ? { 'X-WX-OPENID': openid } : {});
    return r.body;
  };
  return {
    ...s,
    dir,
    call,
    ok: async (openid, event) => {
      const r = await call(openid, event);
      if (!r.ok) throw new Error(`${(event as { action: string }).action} failed: ${JSON.stringify(r.error)}`);
      return r.data;
    },
    post: (route, body) => postJson(`${s.url}${route}`, body),
    stock: async (skuId) => ((await s.db.collection('products').doc(skuId).get()).data.stock as number),
    order: async (orderId) => (await s.db.collection('orders').doc(orderId).get()).data,
    close: async () => {
      await s.close();
      if (!at) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls queryOrder until the order leaves PENDING (or the time runs out). */
export async function waitForStatus(s: TestSandbox, openid: string, orderId: string, status: Order['status'], ms = 5000): Promise<Order> {
  const until = Date.now() + ms;
  for (;;) {
    const { order } = await s.ok(openid, { action: 'queryOrder', orderId });
    if (order.status === status || Date.now() > until) return order;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * A notify endpoint for tests: records each notification, then forwards it to `target` (or answers
 * `status` itself), so the exact bytes the provider sent can be replayed or altered.
 */
export async function startRecordingProxy(opts: { target?: () => string; status?: number }): Promise<{ url: string; seen: RecordedRequest[]; close(): Promise<void> }> {
  const seen: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const rec = { method: req.method ?? 'POST', url: req.url ?? '/', headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body: Buffer.concat(chunks) };
      seen.push(rec);
      if (opts.target) {
        const fwd = await replay(opts.target(), rec);
        res.writeHead(fwd.status, { 'content-type': fwd.contentType });
        res.end(fwd.body);
      } else {
        res.writeHead(opts.status ?? 500);
        res.end('not now');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Sends a recorded notification again (optionally altered) and returns the handler's answer. */
export async function replay(url: string, rec: Pick<RecordedRequest, 'headers' | 'body'>): Promise<{ status: number; body: string; contentType: string }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec.headers)) if (!['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
  const res = await request(url, { method: 'POST', headers, body: rec.body });
  return { status: res.status, body: res.body.toString('utf8'), contentType: res.headers['content-type'] ?? 'text/plain' };
}
