/** The v3 `Authorization` header: `WECHATPAY2-SHA256-RSA2048 k="v",…`. */

export const AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';

export interface AuthorizationFields {
  mchid: string;
  nonceStr: string;
  signature: string;
  /** Seconds, as sent. */
  timestamp: string;
  serialNo: string;
}

export function formatAuthorization(f: AuthorizationFields): string {
  return `${AUTH_SCHEMA} mchid="${f.mchid}",nonce_str="${f.nonceStr}",signature="${f.signature}",timestamp="${f.timestamp}",serial_no="${f.serialNo}"`;
}

/**
 * Parses the header in any field order (SDKs differ); undefined when the schema is wrong, a field is
 * missing or repeated, or the syntax is off.
 */
export function parseAuthorization(header: string | undefined): AuthorizationFields | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== AUTH_SCHEMA) return undefined;
  const fields = new Map<string, string>();
  const re = /\s*([a-z_]+)="([^"]*)"\s*(,|$)/y;
  const rest = header.slice(space + 1);
  for (let done = false; !done; ) {
    const m = re.exec(rest);
    if (!m || fields.has(m[1])) return undefined;
    fields.set(m[1], m[2]);
    done = m[3] === '';
  }
  const mchid = fields.get('mchid');
  const nonceStr = fields.get('nonce_str');
  const signature = fields.get('signature');
  const timestamp = fields.get('timestamp');
  const serialNo = fields.get('serial_no');
  if (!mchid || !nonceStr || !signature || !timestamp || !serialNo) return undefined;
  return { mchid, nonceStr, signature, timestamp, serialNo };
}
