import * as http from 'node:http';
import * as https from 'node:https';

export interface HttpCall {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** For https: a client certificate (mutual TLS) and the CAs to trust instead of Node's roots. */
  tls?: { cert?: string | Buffer; key?: string | Buffer; ca?: string | Buffer };
}

export interface HttpAnswer {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The raw body: signatures are computed over these exact bytes. */
  body: Buffer;
}

/** Headers with lower-case names and one string each (signature headers are looked up by name). */
export function lowerCaseHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Raised when no HTTP answer arrived (connection refused, reset, timeout). */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportError';
  }
}

/**
 * One HTTP request with a hard timeout. node:http rather than fetch: the cloud runtime may be
 * Node 16, and protocol code needs the raw response bytes.
 */
export function httpRequest(call: HttpCall): Promise<HttpAnswer> {
  const url = new URL(call.url);
  const lib = url.protocol === 'https:' ? https : http;
  const body = call.body === undefined ? undefined : Buffer.from(call.body, 'utf8');
  const headers: Record<string, string | number> = { ...call.headers };
  if (body) headers['Content-Length'] = body.length;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method: call.method, headers, timeout: call.timeoutMs, ...call.tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(new TransportError(`${call.method} ${url.pathname}: ${e.message}`)));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: lowerCaseHeaders(res.headers), body: Buffer.concat(chunks) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${call.timeoutMs} ms`)));
    req.on('error', (e) => reject(new TransportError(`${call.method} ${url.pathname}: ${e.message}`)));
    req.end(body);
  });
}
