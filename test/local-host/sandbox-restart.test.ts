import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Order, PayData } from '../../typings/checkout';
import type { EmulatedPayment } from '../../scripts/local-host/emulators/types';
import { request, startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';

/**
 * `npm start`, stopped and started again on the same SANDBOX_DIR: orders placed before the restart are
 * paid after it with the prepay_id, code_url and PAYJS order the client already holds.
 */

type Pay<M extends PayData['method']> = Extract<PayData, { method: M }>;

describe('the local host restarted on the same SANDBOX_DIR', () => {
  const alice = 'openid-alice';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-restart-'));
  let s: TestSandbox;

  afterAll(async () => {
    await s?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const newOrder = async (): Promise<Order> => (await s.ok(alice, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] })).order;
  const restart = async () => {
    const { port } = s.server.address() as AddressInfo;
    await s.close();
    // Pooled keep-alive sockets still point at the stopped server: a request on one would hang up.
    http.globalAgent.destroy();
    s = await startTestSandbox({}, { dir, port });
  };
  const payments = async (): Promise<EmulatedPayment[]> => JSON.parse((await request(`${s.url}/sandbox/api/state`)).body.toString('utf8')).payments;

  it('pays a JSAPI, a Native and a PAYJS order placed before the restart', async () => {
    s = await startTestSandbox({}, { dir });
    const [a, b, c] = [await newOrder(), await newOrder(), await newOrder()];
    const wallet = (await s.ok(alice, { action: 'pay', orderId: a.orderId, method: 'wechat' })) as Pay<'wechat'>;
    const native = (await s.ok(alice, { action: 'pay', orderId: b.orderId, method: 'native' })) as Pay<'native'>;
    const payjs = (await s.ok(alice, { action: 'pay', orderId: c.orderId, method: 'payjs' })) as Pay<'payjs'>;
    const jumped = (await s.post('/sandbox/api/payjs/jump', { extraData: payjs.payjs.extraData })).body.payment as EmulatedPayment;
    const before = await payments();
    expect(before).toHaveLength(3);

    await restart();
    expect((await payments()).map((p) => [p.id, p.status])).toEqual(before.map((p) => [p.id, 'WAITING']));
    // The active query now finds the trade the order was placed with (NOTPAY), so the order stays payable.
    expect((await s.ok(alice, { action: 'queryOrder', orderId: a.orderId })).order.status).toBe('PENDING');
    // A re-pay reuses the stored prepay_id, which the emulator still knows.
    const again = (await s.ok(alice, { action: 'pay', orderId: a.orderId, method: 'wechat' })) as Pay<'wechat'>;
    expect(again.payment.package).toBe(wallet.payment.package);

    const paid = await s.post('/sandbox/api/wxpay/request-payment', { params: wallet.payment, outcome: 'pay' });
    const scanned = await s.post('/sandbox/api/wxpay/scan', { codeUrl: native.codeUrl, outcome: 'pay' });
    const rejump = await s.post('/sandbox/api/payjs/jump', { extraData: payjs.payjs.extraData });
    expect([paid.status, scanned.status, rejump.status]).toEqual([200, 200, 200]);
    expect(rejump.body.payment.id).toBe(jumped.id);
    expect((await s.post(`/sandbox/api/payments/${jumped.id}/pay`, {})).status).toBe(200);

    for (const o of [a, b, c]) expect((await waitForStatus(s, alice, o.orderId, 'PAID')).status).toBe('PAID');
    expect((await s.order(a.orderId)).transactionId).toBe(paid.body.payment.transactionId);

    await restart();
    const after = await payments();
    expect(after.map((p) => [p.id, p.status])).toEqual(before.map((p) => [p.id, 'PAID']));
    for (const p of after) expect(p.deliveries).toEqual([expect.objectContaining({ attempt: 1, accepted: true })]);
    expect((await s.post('/sandbox/api/wxpay/request-payment', { params: wallet.payment, outcome: 'pay' })).status).toBe(409);
  });
});
