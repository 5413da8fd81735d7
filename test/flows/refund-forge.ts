import * as crypto from 'node:crypto';
import { loadOrCreateSandboxKeys } from '../../scripts/local-host/sandbox-env';
import type { Forged } from '../helpers/forge-notification';

/**
 * Refund notifications made the way WeChat Pay documents them, written here independently of the
 * project's protocol modules and of the emulators, with the sandbox's throwaway keys: lets tests send
 * authentic notifications that are wrong in other ways (amount, order, unknown refund number).
 */

export interface ForgeRefund {
  outTradeNo: string;
  outRefundNo: string;
  amountFen: number;
  totalFen: number;
  status?: 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
}

/** v3: REFUND.* event, resource AES-256-GCM under the APIv3 key (associated data "refund"), signed body. */
export function forgeV3Refund(sandboxDir: string, r: ForgeRefund): Forged {
  const k = loadOrCreateSandboxKeys(sandboxDir);
  const status = r.status ?? 'SUCCESS';
  const plain = JSON.stringify({
    mchid: k.wxpayMchid,
    out_trade_no: r.outTradeNo,
    transaction_id: `42000${Date.now()}`,
    out_refund_no: r.outRefundNo,
    refund_id: `50300${Date.now()}`,
    refund_status: status,
    success_time: '2026-11-21T10:00:00+08:00',
    user_received_account: '支付用户零钱',
    amount: { total: r.totalFen, refund: r.amountFen, payer_total: r.totalFen, payer_refund: r.amountFen },
  });
  const nonce = crypto.randomBytes(6).toString('hex');
  const cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from(k.apiV3Key), nonce);
  cipher.setAAD(Buffer.from('refund'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
  const body = JSON.stringify({
    id: crypto.randomUUID(),
    create_time: '2026-11-21T10:00:01+08:00',
    resource_type: 'encrypt-resource',
    event_type: `REFUND.${status}`,
    summary: '退款成功',
    resource: { original_type: 'refund', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: 'refund', nonce },
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const sigNonce = crypto.randomBytes(16).toString('hex');
  const signature = crypto.sign('sha256', Buffer.from(`${ts}\n${sigNonce}\n${body}\n`), k.platformPrivateKey).toString('base64');
  return {
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': sigNonce,
      'wechatpay-signature': signature,
      'wechatpay-serial': k.platformPublicKeyId,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    },
    body: Buffer.from(body),
  };
}

/** v2: no sign; `req_info` = base64(AES-256-ECB, key = lower-case hex md5 of the API key) of a <root> document. */
export function forgeV2Refund(sandboxDir: string, r: ForgeRefund): Forged {
  const k = loadOrCreateSandboxKeys(sandboxDir);
  const status = { SUCCESS: 'SUCCESS', ABNORMAL: 'CHANGE', CLOSED: 'REFUNDCLOSE' }[r.status ?? 'SUCCESS'];
  const details: Record<string, string> = {
    out_trade_no: r.outTradeNo,
    transaction_id: `42000${Date.now()}`,
    out_refund_no: r.outRefundNo,
    refund_id: `50300${Date.now()}`,
    total_fee: String(r.totalFen),
    refund_fee: String(r.amountFen),
    settlement_refund_fee: String(r.amountFen),
    refund_status: status,
    success_time: '2026-11-21 10:00:00',
    refund_recv_accout: '支付用户的零钱',
    refund_account: 'REFUND_SOURCE_RECHARGE_FUNDS',
    refund_request_source: 'API',
  };
  const inner = `<root>${Object.entries(details).map(([key, v]) => `<${key}><![CDATA[${v}]]></${key}>`).join('')}</root>`;
  const key = Buffer.from(crypto.createHash('md5').update(k.v2Key, 'utf8').digest('hex'), 'utf8');
  const cipher = crypto.createCipheriv('aes-256-ecb', key, null);
  const reqInfo = Buffer.concat([cipher.update(inner, 'utf8'), cipher.final()]).toString('base64');
  const fields = { return_code: 'SUCCESS', appid: k.appid, mch_id: k.wxpayMchid, nonce_str: crypto.randomBytes(8).toString('hex'), req_info: reqInfo };
  const xml = `<xml>${Object.entries(fields).map(([key, v]) => `<${key}><![CDATA[${v}]]></${key}>`).join('')}</xml>`;
  return { headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) };
}
