import { payjsReferenceSign } from '../helpers/forge-payjs';
import type { HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import { serveNotify } from '../helpers/loopback';

/** A form body as PAYJS would post it, signed by the reference signer (or with the given sign). */
export function signedForm(fields: Record<string, string>, key: string, sign = payjsReferenceSign(fields, key)): Buffer {
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
