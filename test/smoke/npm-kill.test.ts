import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RequestPaymentParams } from '../../typings/checkout';
import { freePort, startHost, stop } from '../helpers/built-host';
import { postJson } from '../helpers/sandbox';

/**
 * `npm start` killed with SIGKILL in the middle of a burst of orders, then started again on the same
 * SANDBOX_DIR: every order whose creation was answered is there, and every payment the host handed out
 * (a prepay_id) is still payable, through to PAID.
 */

describe('npm start killed mid-burst', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-kill-'));
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child) await stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing it acknowledged', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(await freePort()), SANDBOX_DIR: dir };
    let host = await startHost(env);
    child = host.child;
    const created: { orderId: string; openid: string }[] = [];
    const paid: { orderId: string; openid: string; params: RequestPaymentParams }[] = [];
    let killed = false;
    const user = async (i: number) => {
      const as = { 'X-WX-OPENID': `kill-user-${i}` };
      for (let k = 0; k < 3 && !killed; k++) {
        try {
          const c = await postJson(`${host.url}/api/checkout`, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] }, as);
          if (!c.body?.ok) continue;
          const orderId = c.body.data.order.orderId as string;
          created.push({ orderId, openid: as['X-WX-OPENID'] });
          const p = await postJson(`${host.url}/api/checkout`, { action: 'pay', orderId, method: 'wechat' }, as);
          if (p.body?.ok) paid.push({ orderId, openid: as['X-WX-OPENID'], params: p.body.data.payment });
        } catch {
          return; // the host is gone
        }
      }
    };
    const burst = Promise.all(Array.from({ length: 12 }, (_x, i) => user(i)));
    for (let i = 0; i < 400 && paid.length < 8; i++) await new Promise((r) => setTimeout(r, 10));
    killed = true;
    const gone = child;
    const exited = new Promise<void>((r) => (gone.exitCode !== null || gone.signalCode !== null ? r() : gone.once('exit', () => r())));
    gone.kill('SIGKILL');
    await Promise.all([burst, exited]);
    expect(paid.length).toBeGreaterThanOrEqual(8);

    http.globalAgent.destroy();
    host = await startHost(env);
    child = host.child;
    for (const o of created) {
      const q = await postJson(`${host.url}/api/checkout`, { action: 'queryOrder', orderId: o.orderId }, { 'X-WX-OPENID': o.openid });
      expect([o.orderId, q.body?.ok]).toEqual([o.orderId, true]);
    }
    for (const o of paid) {
      const wallet = await postJson(`${host.url}/sandbox/api/wxpay/request-payment`, { params: o.params, outcome: 'pay' });
      expect([wallet.status, wallet.body.payment?.status]).toEqual([200, 'PAID']);
    }
    for (const o of paid) {
      let status = '';
      for (let i = 0; i < 100 && status !== 'PAID'; i++) {
        status = (await postJson(`${host.url}/api/checkout`, { action: 'queryOrder', orderId: o.orderId }, { 'X-WX-OPENID': o.openid })).body.data.order.status;
        if (status !== 'PAID') await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).toBe('PAID');
    }
  }, 60_000);
});
