import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encryptResource } from '../../cloudfunctions/common/wxpay/v3/aead';
import { wechatpayHeaders } from '../../cloudfunctions/common/wxpay/v3/signing';
import { toRfc3339Beijing } from '../../cloudfunctions/common/time';
import type { WxPayV3Trade } from '../local-host/emulators/wxpay-v3';
import { loadBuiltFunction } from '../local-host/load-built-function';
import { applySandboxDefaults, loadOrCreateSandboxKeys } from '../local-host/sandbox-env';
import { createMemoryDatabase, runWithContext, useDatabase } from '../local-host/wx-server-sdk';

/**
 * TRANSACTION.SUCCESS notifications as WeChat Pay sends them (encrypted with the APIv3 key, signed
 * with the platform key of the SANDBOX_DIR), one per seeded PENDING order, built before the clock starts.
 */
export function buildNotifications(sandboxDir: string, trades: WxPayV3Trade[]): { headers: Record<string, string>; body: string }[] {
  const keys = loadOrCreateSandboxKeys(sandboxDir);
  const signingKey = { serial: keys.platformPublicKeyId, privateKey: keys.platformPrivateKey };
  return trades.map((t) => {
    const p = t.payment;
    const transaction = {
      appid: p.appid,
      mchid: p.mchid,
      out_trade_no: p.outTradeNo,
      transaction_id: `4200001234${crypto.randomInt(1e9).toString().padStart(18, '0')}`,
      trade_type: p.tradeType,
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      ...(t.attach !== undefined ? { attach: t.attach } : {}),
      success_time: toRfc3339Beijing(Date.now()),
      payer: { openid: p.openid },
      amount: { total: p.amountFen, payer_total: p.amountFen, currency: 'CNY', payer_currency: 'CNY' },
    };
    const resource = encryptResource(JSON.stringify(transaction), Buffer.from(keys.apiV3Key), 'transaction');
    const body = JSON.stringify({
      id: crypto.randomUUID(),
      create_time: toRfc3339Beijing(Date.now()),
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ...resource },
    });
    return { headers: { 'content-type': 'application/json', ...wechatpayHeaders(body, signingKey, Date.now()) }, body };
  });
}

/** Sends them to the host's payNotify route, `concurrency` at a time; notifications per second. */
export async function sendNotifications(url: string, notes: { headers: Record<string, string>; body: string }[], concurrency: number) {
  let next = 0;
  let acked = 0;
  const failures: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < notes.length) {
        const n = notes[next++];
        const res = await fetch(`${url}/http/payNotify`, { method: 'POST', headers: n.headers, body: n.body });
        const text = await res.text();
        if (res.status === 200 || res.status === 204) acked++;
        else if (failures.length < 3) failures.push(`${res.status} ${text.slice(0, 200)}`);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { perSecond: notes.length / secs, acked, failures };
}

export function paidCount(sandboxDir: string, orderIds: string[]): number {
  const db = createMemoryDatabase({ dir: path.join(sandboxDir, 'db') });
  const wanted = new Set(orderIds);
  const n = db.dump('orders').filter((o) => wanted.has(o._id) && o.status === 'PAID').length;
  db.close();
  return n;
}

/**
 * The same notifications handed straight to the built payNotify's main() one after another, in a
 * process of its own (one core): in blocks of 100, in turn with the database the host uses on the
 * SANDBOX_DIR and with a copy of it in memory only, so both see the same machine load. What the
 * function and the store cost without the HTTP server and client.
 */
export async function notifyWorker(root: string, sandboxDir: string, notesFile: string): Promise<void> {
  const notes = JSON.parse(fs.readFileSync(notesFile, 'utf8')) as { headers: Record<string, string>; body: string }[];
  applySandboxDefaults(process.env, loadOrCreateSandboxKeys(sandboxDir), 'http://127.0.0.1:9', 'https://127.0.0.1:9');
  const disk = createMemoryDatabase({ dir: path.join(sandboxDir, 'db') });
  const memory = createMemoryDatabase();
  for (const name of disk.collectionNames()) for (const doc of disk.dump(name)) await memory.collection(name).add({ data: doc });
  const main = loadBuiltFunction(root, 'payNotify');
  const event = (n: (typeof notes)[number]) => ({
    httpMethod: 'POST',
    path: '/http/payNotify',
    headers: n.headers,
    queryStringParameters: {},
    body: Buffer.from(n.body).toString('base64'),
    isBase64Encoded: true,
  });
  const stats = { disk: { n: 0, ms: 0, acked: 0 }, memory: { n: 0, ms: 0, acked: 0 } };
  const run = async (n: (typeof notes)[number], where: 'disk' | 'memory', count: boolean) => {
    useDatabase(where === 'disk' ? disk : memory);
    const t0 = performance.now();
    const r = (await runWithContext({ SOURCE: 'wx_http' }, () => main(event(n)))) as { statusCode?: number };
    if (!count) return;
    stats[where].ms += performance.now() - t0;
    stats[where].n++;
    if ((r?.statusCode ?? 200) < 300) stats[where].acked++;
  };
  // Warm-up on both (their orders are the same, so each notification is a first delivery in each).
  for (const n of notes.slice(0, 50)) {
    await run(n, 'disk', false);
    await run(n, 'memory', false);
  }
  const rest = notes.slice(50);
  for (let i = 0; i < rest.length; i++) {
    const n = rest[i];
    await run(n, Math.floor(i / 100) % 2 === 0 ? 'disk' : 'memory', true);
  }
  const perSecond = (s: { n: number; ms: number }) => s.n / (s.ms / 1000);
  process.stdout.write(
    JSON.stringify({ disk: { perSecond: perSecond(stats.disk), acked: stats.disk.acked, sent: stats.disk.n }, memory: { perSecond: perSecond(stats.memory), acked: stats.memory.acked, sent: stats.memory.n } }),
  );
}
