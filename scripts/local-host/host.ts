import * as http from 'node:http';
import * as https from 'node:https';
import { TLSSocket } from 'node:tls';
import type { ClientCertificate, EmuRequest, Emulator } from './emulators/types';
import { lowerCaseHeaders } from '../../cloudfunctions/common/http';
import { HttpFailure, parseJson, readBody, send, sendJson } from './http-util';
import type { SandboxApi } from './sandbox-api';
import { runWithContext } from './wx-server-sdk';

/** A cloud function as the local host runs it. */
export interface HostedFunction {
  /** callable: wx.cloud.callFunction; http: HTTP access service. */
  kind: 'callable' | 'http';
  main(event: unknown): Promise<unknown>;
}

export interface LocalHostOptions {
  functions: Record<string, HostedFunction>;
  /**
   * Emulators by first path segment. WeChat Pay's are mounted at the root (`/v3/…`, `/pay/…`) like the
   * real host, since v3 signs the request path; PAYJS lives under `/payjs` (prefix stripped).
   */
  emulators: Record<string, { stripPrefix: boolean; emulators: Emulator[] }>;
  sandbox: SandboxApi;
  /** The mini-program's appid reported by getWXContext. */
  appid: string;
  /** Serves the sandbox console's static files under `/`. */
  serveConsole?: (path: string) => { type: string; body: Buffer } | undefined;
}

/** What the https listener learnt of the client's certificate (the emulators decide what to accept). */
function clientCertificate(req: http.IncomingMessage): ClientCertificate | undefined {
  if (!(req.socket instanceof TLSSocket)) return undefined;
  const cn = req.socket.getPeerCertificate().subject?.CN;
  return { authorized: req.socket.authorized, subjectCN: Array.isArray(cn) ? cn[0] : cn };
}

function emuRequest(req: http.IncomingMessage, url: URL, prefix: string, rawBody: Buffer): EmuRequest {
  const tls = clientCertificate(req);
  return { method: req.method ?? 'GET', path: url.pathname.slice(prefix.length) || '/', query: url.searchParams, headers: lowerCaseHeaders(req.headers), rawBody, ...(tls ? { tls } : {}) };
}

async function callFunction(fn: HostedFunction, req: http.IncomingMessage, rawBody: Buffer, appid: string, res: http.ServerResponse): Promise<void> {
  if (req.method !== 'POST') throw new HttpFailure(405, 'POST the event as JSON');
  const openid = req.headers['x-wx-openid'];
  if (typeof openid !== 'string' || openid === '') {
    return sendJson(res, 401, { ok: false, error: { code: 'UNAUTHENTICATED', message: 'Send the caller openid in the X-WX-OPENID header.' } });
  }
  const event = parseJson(rawBody);
  const result = await runWithContext({ OPENID: openid, APPID: appid }, () => fn.main(event));
  sendJson(res, 200, result);
}

interface AccessReply {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

async function httpFunction(fn: HostedFunction, req: http.IncomingMessage, url: URL, rawBody: Buffer, res: http.ServerResponse): Promise<void> {
  // The HTTP access service's event shape; bodies arrive base64-encoded so no byte is altered.
  const event = {
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    headers: lowerCaseHeaders(req.headers),
    queryStringParameters: Object.fromEntries(url.searchParams),
    body: rawBody.toString('base64'),
    isBase64Encoded: true,
  };
  const reply = ((await runWithContext({ SOURCE: 'wx_http' }, () => fn.main(event))) ?? {}) as AccessReply;
  const body = reply.isBase64Encoded ? Buffer.from(reply.body ?? '', 'base64') : Buffer.from(reply.body ?? '', 'utf8');
  send(res, reply.statusCode ?? 200, reply.headers ?? {}, body);
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Headers a reverse proxy or tunnel adds: such a request came from outside this machine. */
const PROXY_HEADER = /^(forwarded|via|x-forwarded-.+|x-real-ip)$/;

export function isProxied(headers: http.IncomingHttpHeaders): boolean {
  return Object.keys(headers).some((h) => PROXY_HEADER.test(h.toLowerCase()));
}

/**
 * Why a request may not reach the identity (`/api/*`), sandbox and emulator routes, or undefined when
 * it may. Those trust the caller (X-WX-OPENID names the user, the sandbox pays orders), so they answer
 * only this machine: a loopback Host name (no DNS rebinding) and no proxy headers (a tunnel or reverse
 * proxy put in front for the notify URL forwards the whole world).
 */
function localOnlyRefusal(req: http.IncomingMessage): string | undefined {
  const hostname = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (!LOOPBACK_NAMES.has(hostname)) return 'the local host answers only 127.0.0.1 / localhost';
  if (isProxied(req.headers)) return 'proxied requests reach only the notify route (/http/payNotify)';
  return undefined;
}

/**
 * The sandbox's POST routes pay orders and inject faults: only JSON (a cross-site form or text/plain
 * post cannot send it without a CORS preflight, which is never granted) from no page or a page of this
 * host (the console).
 */
function crossSiteRefusal(req: http.IncomingMessage): string | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return 'sandbox POST routes take Content-Type: application/json';
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`) return `requests from ${origin} are not accepted`;
  return undefined;
}

export function createLocalHost(opts: LocalHostOptions): http.Server {
  return http.createServer(localHostHandler(opts));
}

/**
 * The same host over https, asking for (not requiring) a client certificate signed by `tls.ca`: WeChat
 * Pay's API host serves certificate and plain routes alike, and the emulators refuse /secapi/ without one.
 */
export function createLocalTlsHost(opts: LocalHostOptions, tls: { key: Buffer; cert: Buffer; ca: Buffer }): https.Server {
  return https.createServer({ ...tls, requestCert: true, rejectUnauthorized: false }, localHostHandler(opts));
}

function localHostHandler(opts: LocalHostOptions): http.RequestListener {
  return (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const [, first, second] = url.pathname.split('/');
      // The notify route verifies every notification itself: it is the one route that may be exposed
      // (through a tunnel or reverse proxy, whatever Host and forwarding headers it adds).
      if (first === 'http' && opts.functions[second]?.kind === 'http') return httpFunction(opts.functions[second], req, url, await readBody(req), res);
      const refusal = localOnlyRefusal(req);
      if (refusal) return sendJson(res, 403, { error: refusal });
      const rawBody = await readBody(req);
      if (first === 'api' && opts.functions[second]?.kind === 'callable') return callFunction(opts.functions[second], req, rawBody, opts.appid, res);
      const mount = opts.emulators[first];
      if (mount) {
        for (const emu of mount.emulators) {
          const reply = await emu.handle(emuRequest(req, url, mount.stripPrefix ? `/${first}` : '', rawBody));
          if (reply) return send(res, reply.statusCode, reply.headers, reply.body);
        }
        return sendJson(res, 404, { code: 'NOT_FOUND', message: `the emulator has no ${url.pathname}` });
      }
      if (first === 'sandbox' && second === 'api') {
        const crossSite = req.method === 'POST' ? crossSiteRefusal(req) : undefined;
        if (crossSite) return sendJson(res, 403, { error: crossSite });
        return opts.sandbox.handle(req.method ?? 'GET', url, rawBody, res);
      }
      const file = req.method === 'GET' ? opts.serveConsole?.(url.pathname) : undefined;
      if (file) return send(res, 200, { 'content-type': file.type, 'cache-control': 'no-cache' }, file.body);
      sendJson(res, 404, { error: `nothing at ${req.method} ${url.pathname}` });
    })().catch((err: unknown) => {
      const status = err instanceof HttpFailure ? err.statusCode : 500;
      if (status === 500) console.error('[local-host]', err);
      if (!res.headersSent) sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
      else res.end();
    });
  };
}
