import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startHost, stop } from '../helpers/built-host';
import { postJson } from '../helpers/sandbox';

/**
 * What a new user does after `npm install`: `npm start` (the built .build/local-host.js serving the
 * built cloudfunctions/<name>/index.js files), then the README's curl commands, with no configuration.
 */
describe('npm start on a fresh clone', () => {
  let child: ChildProcess;
  let url: string;
  let dir: string;
  const openid = { 'X-WX-OPENID': 'demo-user' };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-'));
    ({ child, url } = await startHost({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', SANDBOX_DIR: dir }));
  });

  afterAll(async () => {
    await stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('places and pays an order against the emulator with the README steps', async () => {
    const products = await postJson(`${url}/api/checkout`, { action: 'listProducts' }, openid);
    expect(products.body.data.products.length).toBeGreaterThan(0);

    const created = await postJson(`${url}/api/checkout`, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 2 }] }, openid);
    const { orderId, amountFen } = created.body.data.order;
    expect(amountFen).toBe(9000);

    const paid = await postJson(`${url}/api/checkout`, { action: 'pay', orderId, method: 'wechat' }, openid);
    expect(paid.body.data.payment.signType).toBe('RSA');

    const wallet = await postJson(`${url}/sandbox/api/wxpay/request-payment`, { params: paid.body.data.payment, outcome: 'pay' });
    expect(wallet.body.payment.status).toBe('PAID');

    let status = 'PENDING';
    for (let i = 0; i < 50 && status !== 'PAID'; i++) {
      status = (await postJson(`${url}/api/checkout`, { action: 'queryOrder', orderId }, openid)).body.data.order.status;
      if (status !== 'PAID') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('PAID');
  });

  it('serves the sandbox console and refuses calls without an identity', async () => {
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await postJson(`${url}/api/checkout`, { action: 'listOrders' })).status).toBe(401);
  });

  it('answers only requests addressed to a loopback name (no DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/sandbox/api/state`, { headers: { Host: 'evil.example:8787' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('keeps its throwaway keys out of every answer', async () => {
    const keys = JSON.parse(fs.readFileSync(path.join(dir, 'keys', 'ids.json'), 'utf8'));
    const state = JSON.stringify((await fetch(`${url}/sandbox/api/state`).then((r) => r.json())) as unknown);
    for (const secret of [keys.apiV3Key, keys.v2Key, keys.payjsKey]) expect(state).not.toContain(secret);
  });
});
