import * as crypto from 'node:crypto';
import { loadOrCreateSandboxKeys } from '../../scripts/local-host/sandbox-env';

/**
 * Notifications made the way the platforms make them, written here independently of the project's
 * protocol modules, with the sandbox's throwaway platform keys: lets tests send validly signed
 * notifications that are wrong in other ways (amount, order, age, key id).
 */

export interface ForgeOrder {
  outTradeNo: string;
  amountFen: number;
}

export interface Forged {
  headers: Record<string, string>;
  body: Buffer;
}

export function forgeV3(sandboxDir: string, order: ForgeOrder, opts: { timestamp?: number; serial?: string; mchid?: string } = {}): Forged {
  const k = loadOrCreateSandboxKeys(sandboxDir);
  const plain = JSON.stringify({
    appid: k.appid,
    mchid: opts.mchid ?? k.wxpayMchid,
    out_trade_no: order.outTradeNo,
    transaction_id: `42000${Date.now()}`,
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: '2026-11-21T10:00:00+08:00',
    payer: { openid: 'openid-alice' },
    amount: { total: order.amountFen, payer_total: order.amountFen, currency: 'CNY', payer_currency: 'CNY' },
  });
  const nonce = crypto.randomBytes(6).toString('hex');
  const cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from(k.apiV3Key), nonce);
  cipher.setAAD(Buffer.from('transaction'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
  const body = JSON.stringify({
    id: crypto.randomUUID(),
    create_time: '2026-11-21T10:00:01+08:00',
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: 'transaction', nonce },
  });
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const sigNonce = crypto.randomBytes(16).toString('hex');
  const signature = crypto.sign('sha256', Buffer.from(`${ts}\n${sigNonce}\n${body}\n`), k.platformPrivateKey).toString('base64');
  return {
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': sigNonce,
      'wechatpay-signature': signature,
      'wechatpay-serial': opts.serial ?? k.platformPublicKeyId,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    },
    body: Buffer.from(body),
  };
}

export function forgeV2(sandboxDir: string, order: ForgeOrder, signType: 'MD5' | 'HMAC-SHA256'): Forged & { fields: Record<string, string> } {
  const k = loadOrCreateSandboxKeys(sandboxDir);
  const fields: Record<string, string> = {
    appid: k.appid,
    mch_id: k.wxpayMchid,
    nonce_str: crypto.randomBytes(8).toString('hex'),
    result_code: 'SUCCESS',
    return_code: 'SUCCESS',
    openid: 'openid-alice',
    trade_type: 'JSAPI',
    bank_type: 'OTHERS',
    total_fee: String(order.amountFen),
    cash_fee: String(order.amountFen),
    fee_type: 'CNY',
    transaction_id: `42000${Date.now()}`,
    out_trade_no: order.outTradeNo,
    time_end: '20261121100000',
  };
  if (signType === 'HMAC-SHA256') fields.sign_type = 'HMAC-SHA256';
  const text = Object.keys(fields).sort().map((key) => `${key}=${fields[key]}`).join('&') + `&key=${k.v2Key}`;
  fields.sign = (signType === 'MD5' ? crypto.createHash('md5').update(text, 'utf8') : crypto.createHmac('sha256', k.v2Key).update(text, 'utf8')).digest('hex').toUpperCase();
  const xml = `<xml>${Object.entries(fields).map(([key, v]) => `<${key}><![CDATA[${v}]]></${key}>`).join('')}</xml>`;
  return { headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml), fields };
}
