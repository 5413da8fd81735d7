import forge from 'node-forge';
import type { HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import { serveNotify } from '../helpers/loopback';

/**
 * An independent PAYJS signer, written from the documented algorithm and sharing nothing with ours:
 * a Map of the kept fields, an explicit code-unit sort, string concatenation and node-forge's MD5.
 */
export function referenceSign(params: Record<string, unknown>, key: string): string {
  const kept = new Map<string, string>();
  for (const name of Object.keys(params)) {
    const value = params[name];
    if (name !== 'sign' && value !== null && value !== undefined) kept.set(name, String(value));
  }
  const names = [...kept.keys()];
  names.sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.charCodeAt(i) - b.charCodeAt(i);
    }
    return a.length - b.length;
  });
  let text = '';
  for (const name of names) text += `${name}=${kept.get(name)}&`;
  text += `key=${key}`;
  const md = forge.md.md5.create();
  md.update(text, 'utf8');
  return md.digest().toHex().toUpperCase();
}

/** A form body as PAYJS would post it, signed by the reference signer (or with the given sign). */
export function signedForm(fields: Record<string, string>, key: string, sign = referenceSign(fields, key)): Buffer {
  return Buffer.from(new URLSearchParams({ ...fields, sign }).toString());
}

export { serveEmulator, type Served } from '../helpers/loopback';

/** A merchant notify endpoint answering PAYJS-style plain text: records each request. */
export function serveNotifyEndpoint(answer: (n: HttpRequestLike) => Promise<{ status: number; body: string }>) {
  return serveNotify(async (req) => {
    const { status, body } = await answer(req);
    return { statusCode: status, headers: { 'content-type': 'text/plain' }, body };
  });
}
