import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { encryptResource } from '../../cloudfunctions/common/wxpay/v3/aead';
import { wechatpayHeaders } from '../../cloudfunctions/common/wxpay/v3/signing';
import { toRfc3339Beijing } from '../../cloudfunctions/common/time';
import type { WxPayV3Trade } from '../local-host/emulators/wxpay-v3';
import { loadOrCreateSandboxKeys } from '../local-host/sandbox-env';
import { createMemoryDatabase } from '../local-host/wx-server-sdk';

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
