import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RequestPaymentParams } from '../../typings/checkout';
import { freePort, startHost, stop } from '../helpers/built-host';
import { postJson } from '../helpers/sandbox';

/**
 * `npm start` stopped and started again on the same SANDBOX_DIR (the built .build/local-host.js): an
 * order given its prepay_id before the restart is paid after it.
 */

const openid = { 'X-WX-OPENID': 'demo-user' };

describe('npm start after a restart', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-restart-'));
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child) await stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pays, through the sandbox wallet, an order whose prepay_id was handed out before the restart', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(await freePort()), SANDBOX_DIR: dir };
    let host = await startHost(env);
    child = host.child;
    const created = await postJson(`${host.url}/api/checkout`, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] }, openid);
    const { orderId } = created.body.data.order;
    const paid = await postJson(`${host.url}/api/checkout`, { action: 'pay', orderId, method: 'wechat' }, openid);
    const params = paid.body.data.payment as RequestPaymentParams;
    expect(params.package).toMatch(/^prepay_id=wx/);

    await stop(child);
    // Pooled keep-alive sockets still point at the stopped host: a request on one would hang up.
    http.globalAgent.destroy();
    host = await startHost(env);
    child = host.child;

    const wallet = await postJson(`${host.url}/sandbox/api/wxpay/request-payment`, { params, outcome: 'pay' });
    expect([wallet.status, wallet.body.payment?.status]).toEqual([200, 'PAID']);
    let status = 'PENDING';
    for (let i = 0; i < 50 && status !== 'PAID'; i++) {
      status = (await postJson(`${host.url}/api/checkout`, { action: 'queryOrder', orderId }, openid)).body.data.order.status;
      if (status !== 'PAID') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('PAID');
    // Only the emulator that was used keeps a state (its database and write-ahead log).
    expect(fs.readdirSync(path.join(dir, 'emulators')).filter((f) => !f.startsWith('wxpay-v3.sqlite'))).toEqual([]);
    expect(fs.readdirSync(path.join(dir, 'emulators'))).toContain('wxpay-v3.sqlite');
  });
});
