import * as crypto from 'node:crypto';
import { formatAuthorization } from './authorization';

/**
 * SHA256withRSA signatures for API v3: our requests (Authorization), the second signing for
 * `wx.requestPayment` (paySign), and the platform's answers and notifications (used by the emulator).
 * Every message is a list of lines, each ending in `\n` (the last one included).
 */

/** 32 random hex characters: the `nonce_str` / `nonceStr` of every signature. */
export function newNonce(): string {
  return crypto.randomBytes(16).toString('hex').toUpperCase();
}

/** Epoch ms → the 10-digit seconds string the protocol signs. */
export function unixSeconds(ms: number): string {
  return String(Math.floor(ms / 1000));
}

function joinLines(...lines: string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}

/** `METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n`; BODY is the exact string sent (empty for GET). */
export function requestMessage(method: string, pathWithQuery: string, timestamp: string, nonce: string, body: string): string {
  return joinLines(method.toUpperCase(), pathWithQuery, timestamp, nonce, body);
}

/** `TIMESTAMP\nNONCE\nBODY\n`: what WeChat Pay signs on answers and notifications. */
export function responseMessage(timestamp: string, nonce: string, body: string | Buffer): string | Buffer {
  if (typeof body === 'string') return joinLines(timestamp, nonce, body);
  // Raw bytes stay bytes: the signature covers what arrived, not a re-encoded string.
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), body, Buffer.from('\n', 'utf8')]);
}

/** `appId\ntimeStamp\nnonceStr\npackage\n`: the v3 paySign message. */
export function paySignMessage(appId: string, timeStamp: string, nonceStr: string, pkg: string): string {
  return joinLines(appId, timeStamp, nonceStr, pkg);
}

/** base64(SHA256withRSA(message)). */
export function rsaSign(message: string | Buffer, privateKey: crypto.KeyObject): string {
  return crypto.sign('sha256', typeof message === 'string' ? Buffer.from(message, 'utf8') : message, privateKey).toString('base64');
}

export function rsaVerify(message: string | Buffer, signature: string, publicKey: crypto.KeyObject): boolean {
  const data = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  try {
    return crypto.verify('sha256', data, publicKey, Buffer.from(signature, 'base64'));
  } catch {
    // A key of the wrong type or a garbled signature is simply "not verified".
    return false;
  }
}

export interface RequestSigner {
  mchid: string;
  /** Serial of the merchant API certificate. */
  serialNo: string;
  privateKey: crypto.KeyObject;
}

/** The `Authorization` header value for one request. Nonce and timestamp are fresh unless given. */
export function authorizationHeader(
  signer: RequestSigner,
  req: { method: string; pathWithQuery: string; body: string; nowMs: number; nonce?: string },
): string {
  const timestamp = unixSeconds(req.nowMs);
  const nonce = req.nonce ?? newNonce();
  const signature = rsaSign(requestMessage(req.method, req.pathWithQuery, timestamp, nonce, req.body), signer.privateKey);
  return formatAuthorization({ mchid: signer.mchid, nonceStr: nonce, signature, timestamp, serialNo: signer.serialNo });
}

/** The headers WeChat Pay puts on a signed answer or notification (used by the emulator). */
export function wechatpayHeaders(body: string, key: { serial: string; privateKey: crypto.KeyObject }, nowMs: number): Record<string, string> {
  const timestamp = unixSeconds(nowMs);
  const nonce = newNonce();
  return {
    'wechatpay-timestamp': timestamp,
    'wechatpay-nonce': nonce,
    'wechatpay-signature': rsaSign(responseMessage(timestamp, nonce, body), key.privateKey),
    'wechatpay-serial': key.serial,
    'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
  };
}
