import type { WxPayV2Config } from '../../config';
import { ProviderError } from '../../errors';
import { httpRequest } from '../../http';
import { type RetryPolicy, withRetries } from '../../payment/retry';
import { nonceStr, type V2Fields, verifyV2, withSign } from './sign';
import { parseXml, toXml, XmlFormatError } from './xml';

export interface V2CallOptions {
  retry: RetryPolicy;
  timeoutMs: number;
  /** The merchant API certificate, for the /secapi/… APIs (mutual TLS). */
  clientCert?: { cert: string; key: string };
}

/** err_codes after which the same request may succeed. */
const RETRYABLE_ERR_CODES = new Set(['SYSTEMERROR']);

function readAnswer(config: WxPayV2Config, path: string, status: number, body: Buffer): Record<string, string> {
  if (status >= 500) throw new ProviderError(`WeChat Pay ${path} answered HTTP ${status}`, undefined, true);
  if (status !== 200) throw new ProviderError(`WeChat Pay ${path} answered HTTP ${status}`);
  let fields: Record<string, string>;
  try {
    fields = parseXml(body);
  } catch (e) {
    if (e instanceof XmlFormatError) throw new ProviderError(`WeChat Pay ${path} answered unreadable XML (${e.message})`);
    throw e;
  }
  // return_code FAIL answers (bad sign, bad XML...) carry no sign.
  if (fields.return_code !== 'SUCCESS') {
    throw new ProviderError(`WeChat Pay ${path} refused the request: ${fields.return_msg ?? fields.return_code ?? 'no return_code'}`);
  }
  // The platform signs its answer with the sign type of our request.
  if (!verifyV2(fields, config.signType, config.key)) throw new ProviderError(`WeChat Pay ${path} answer has a missing or wrong sign`);
  if ((fields.appid !== undefined && fields.appid !== config.appid) || (fields.mch_id !== undefined && fields.mch_id !== config.mchid)) {
    throw new ProviderError(`WeChat Pay ${path} answered for another appid/mch_id`);
  }
  if (fields.result_code !== 'SUCCESS') {
    const code = fields.err_code ?? 'RESULT_FAIL';
    throw new ProviderError(fields.err_code_des || `WeChat Pay ${path} failed: ${code}`, code, RETRYABLE_ERR_CODES.has(code));
  }
  return fields;
}

function tlsFor(config: WxPayV2Config, opts: V2CallOptions): { tls?: { cert?: string; key?: string; ca?: string } } {
  if (!opts.clientCert && !config.apiCa) return {};
  return { tls: { ...opts.clientCert, ...(config.apiCa ? { ca: config.apiCa } : {}) } };
}

/**
 * One v2 API call: adds appid, mch_id, nonce_str, sign_type and sign, POSTs the XML (the very same
 * bytes on every retry) and returns the answer's fields once return_code, sign and result_code are
 * all good. A result_code FAIL becomes ProviderError with the platform's err_code as providerCode.
 */
export async function callV2(config: WxPayV2Config, path: string, fields: V2Fields, opts: V2CallOptions): Promise<Record<string, string>> {
  const signed = withSign(
    { ...fields, appid: config.appid, mch_id: config.mchid, nonce_str: nonceStr(), sign_type: config.signType },
    config.signType,
    config.key,
  );
  const body = toXml(signed);
  return withRetries(async () => {
    const res = await httpRequest({
      method: 'POST',
      url: `${config.apiBase}${path}`,
      headers: { 'Content-Type': 'text/xml; charset=utf-8' },
      body,
      timeoutMs: opts.timeoutMs,
      ...tlsFor(config, opts),
    });
    return readAnswer(config, path, res.status, res.body);
  }, opts.retry);
}
