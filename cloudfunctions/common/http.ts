import { AsyncLocalStorage } from 'node:async_hooks';
import type * as httpTypes from 'node:http';
import type * as httpsTypes from 'node:https';
import { ProviderError } from './errors';

export interface HttpCall {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The whole attempt (connect, send, receive every byte), not only an idle socket. */
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

/** Provider answers are a few KB (a certificate list the largest): anything far bigger is refused unread. */
export const MAX_RESPONSE_BYTES = 256 * 1024;

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

const budgets = new AsyncLocalStorage<{ deadline: number }>();

/**
 * Runs `fn` with a time budget shared by every outbound request it makes, retries and chained calls
 * included (cancel = close + query), so a slow provider cannot outlast the function's own timeout.
 * Each attempt gets at most what is left; once it is spent, further requests fail without being sent.
 */
export function withTimeBudget<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const outer = budgets.getStore();
  const deadline = Math.min(Date.now() + ms, outer?.deadline ?? Infinity);
  return budgets.run({ deadline }, fn);
}

/** Less than this left is not worth a connection: the answer could not arrive in time. */
const MIN_ATTEMPT_MS = 50;

// Loaded on the first outbound call: a function that never calls out (payNotify for v3) never loads them.
let transports: { http: typeof httpTypes; https: typeof httpsTypes } | undefined;
function transport(protocol: string): typeof httpTypes | typeof httpsTypes {
  transports ??= { http: require('node:http') as typeof httpTypes, https: require('node:https') as typeof httpsTypes };
  return protocol === 'https:' ? transports.https : transports.http;
}

/**
 * One HTTP request with a hard deadline and a size cap. node:http rather than fetch: the cloud
 * runtime may be Node 16, and protocol code needs the raw response bytes.
 */
export function httpRequest(call: HttpCall): Promise<HttpAnswer> {
  const url = new URL(call.url);
  const what = `${call.method} ${url.pathname}`;
  const budget = budgets.getStore();
  const left = budget ? budget.deadline - Date.now() : Infinity;
  // Not retryable: the caller's time is up, another attempt would only overrun it further.
  if (left < MIN_ATTEMPT_MS) return Promise.reject(new ProviderError(`${what}: the call's time budget is spent.`));
  const timeoutMs = Math.min(call.timeoutMs, left);
  const body = call.body === undefined ? undefined : Buffer.from(call.body, 'utf8');
  const headers: Record<string, string | number> = { ...call.headers };
  if (body) headers['Content-Length'] = body.length;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(e);
    };
    const req = transport(url.protocol).request(url, { method: call.method, headers, ...call.tls }, (res) => {
      const declared = Number(res.headers['content-length']);
      if (declared > MAX_RESPONSE_BYTES) return fail(new ProviderError(`${what}: the answer is larger than ${MAX_RESPONSE_BYTES} bytes.`));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) fail(new ProviderError(`${what}: the answer is larger than ${MAX_RESPONSE_BYTES} bytes.`));
        else chunks.push(c);
      });
      res.on('error', (e) => fail(new TransportError(`${what}: ${e.message}`)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: lowerCaseHeaders(res.headers), body: Buffer.concat(chunks) });
      });
    });
    // From the start of the attempt to the last byte: a server trickling bytes cannot keep it open.
    const timer = setTimeout(() => fail(new TransportError(`${what}: no complete answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => fail(new TransportError(`${what}: ${e.message}`)));
    req.end(body);
  });
}
