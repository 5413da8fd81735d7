import * as crypto from 'node:crypto';
import { decryptResource, encryptResource } from '../../cloudfunctions/common/wxpay/v3/aead';
import { requestMessage, rsaSign, rsaVerify } from '../../cloudfunctions/common/wxpay/v3/signing';

/** Operations per second of `fn` on this core, over `ms`. */
export function opsPerSecond(fn: () => unknown, ms = 700): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < until) {
    fn();
    n++;
    if ((n & 7) === 0) now = process.hrtime.bigint();
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * The crypto one v3 order costs (sign the prepay request and the paySign; verify the prepay answer, the
 * notification and the query answer; decrypt the notification), ours against plain node:crypto with
 * the same pre-parsed KeyObjects. Interleaved rounds; the medians.
 */
export function cryptoFigures(): { rows: [string, number, number][]; perOrder: [number, number] } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = crypto.randomBytes(32);
  const message = requestMessage('POST', '/v3/pay/transactions/jsapi', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '{"appid":"wx0123456789abcdef","amount":{"total":990}}');
  const signature = rsaSign(message, privateKey);
  const plaintext = JSON.stringify({ out_trade_no: 'T1234567890', trade_state: 'SUCCESS', amount: { total: 990 }, payer: { openid: 'o'.repeat(28) } });
  const resource = encryptResource(plaintext, key, 'transaction');
  const plainDecrypt = () => {
    const data = Buffer.from(resource.ciphertext, 'base64');
    const d = crypto.createDecipheriv('aes-256-gcm', key, resource.nonce);
    d.setAAD(Buffer.from(resource.associated_data ?? ''));
    d.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString('utf8');
  };
  if (plainDecrypt() !== decryptResource(resource, key)) throw new Error('the plain decryption does not match ours');
  const ops: [string, () => unknown, () => unknown][] = [
    ['SHA256withRSA sign', () => rsaSign(message, privateKey), () => crypto.sign('sha256', Buffer.from(message), privateKey).toString('base64')],
    ['SHA256withRSA verify', () => rsaVerify(message, signature, publicKey), () => crypto.verify('sha256', Buffer.from(message), publicKey, Buffer.from(signature, 'base64'))],
    ['AEAD_AES_256_GCM decrypt', () => decryptResource(resource, key), plainDecrypt],
  ];
  const rounds = 3;
  const rows = ops.map(([name, ours, plain]) => {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(opsPerSecond(ours, 300));
      b.push(opsPerSecond(plain, 300));
    }
    const med = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    return [name, med(a), med(b)] as [string, number, number];
  });
  // Per order: 2 signs, 3 verifies, 1 decryption.
  const cost = (i: 1 | 2) => 2 / rows[0][i] + 3 / rows[1][i] + 1 / rows[2][i];
  return { rows, perOrder: [cost(1) * 1000, cost(2) * 1000] };
}
