import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HttpReply } from '../../cloudfunctions/common/payment/gateway';
import type { Delivery } from '../../scripts/local-host/emulators/types';
import { freePort, startHost, stop } from '../helpers/built-host';
import { serveHttp, type Served } from '../helpers/loopback';
import { postJson, request } from '../helpers/sandbox';

/**
 * The built local host killed (SIGKILL) while a payment's notification is refused, then started again
 * on the same SANDBOX_DIR: the emulator goes on with the redelivery by itself and payNotify marks the
 * order paid, as the platform would, without the client asking. WXPAY_NOTIFY_URL points at a relay
 * that refuses before the restart and hands notifications to the host's payNotify after it.
 */

const openid = { 'X-WX-OPENID': 'demo-user' };

describe('npm start after a restart, with a refused notification pending', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-restart-notify-'));
  let child: ChildProcess | undefined;
  let relay: Served | undefined;

  afterAll(async () => {
    if (child) await stop(child);
    await relay?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the next attempt after the restart and the order becomes PAID through payNotify', async () => {
    const port = await freePort();
    const hostUrl = `http://127.0.0.1:${port}`;
    let forwarding = false;
    const answers: number[] = [];
    relay = await serveHttp(async (req): Promise<HttpReply> => {
      if (!forwarding) {
        answers.push(500);
        return { statusCode: 500, headers: {}, body: 'payNotify is down' };
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k === 'content-type' || k.startsWith('wechatpay-')));
      const res = await request(`${hostUrl}/http/payNotify`, { method: 'POST', headers, body: req.rawBody });
      answers.push(res.status);
      return { statusCode: res.status, headers: { 'content-type': String(res.headers['content-type'] ?? 'text/plain') }, body: res.body.toString('utf8') };
    });
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), SANDBOX_DIR: dir, WXPAY_NOTIFY_URL: `${relay.url}/notify` };
    let host = await startHost(env);
    child = host.child;
    const created = await postJson(`${host.url}/api/checkout`, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] }, openid);
    const { orderId } = created.body.data.order;
    const paid = await postJson(`${host.url}/api/checkout`, { action: 'pay', orderId, method: 'wechat' }, openid);
    const wallet = await postJson(`${host.url}/sandbox/api/wxpay/request-payment`, { params: paid.body.data.payment, outcome: 'pay' });
    expect(wallet.body.payment.deliveries).toEqual([expect.objectContaining({ attempt: 1, statusCode: 500, accepted: false, nextAttemptAt: expect.any(Number) })]);
    const paymentId: string = wallet.body.payment.id;

    child.kill('SIGKILL');
    await new Promise<void>((r) => (child!.exitCode !== null || child!.signalCode !== null ? r() : child!.once('exit', () => r())));
    const refusedBefore = answers.length;
    forwarding = true;
    // Pooled keep-alive sockets point at the dead host.
    http.globalAgent.destroy();
    host = await startHost(env);
    child = host.child;

    type State = { orders: { _id: string; status: string }[]; payments: { id: string; deliveries: Delivery[] }[] };
    const state = async () => JSON.parse((await request(`${host.url}/sandbox/api/state`)).body.toString('utf8')) as State;
    let deliveries: Delivery[] = [];
    for (let i = 0; i < 200 && !deliveries.some((d) => d.accepted); i++) {
      deliveries = (await state()).payments.find((p) => p.id === paymentId)?.deliveries ?? [];
      if (!deliveries.some((d) => d.accepted)) await new Promise((r) => setTimeout(r, 50));
    }
    // Attempts 1…n refused before the kill, n+1 accepted after the restart: numbered on, nothing sent twice.
    expect(deliveries.map((d) => d.attempt)).toEqual(deliveries.map((_d, i) => i + 1));
    expect(deliveries.map((d) => d.accepted)).toEqual([...Array(refusedBefore).fill(false), true]);
    expect(answers).toEqual([...Array(refusedBefore).fill(500), expect.any(Number)]);
    expect(answers[refusedBefore]).toBeLessThan(300);
    expect((await state()).orders.find((o) => o._id === orderId)?.status).toBe('PAID');
  });
});
