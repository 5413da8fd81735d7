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
      // Only loopback names: a web page that rebinds its own domain to 127.0.0.1 gets nothing here.
      const hostname = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!LOOPBACK_NAMES.has(hostname)) return sendJson(res, 403, { error: 'the local host answers only 127.0.0.1 / localhost' });
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rawBody = await readBody(req);
      const [, first, second] = url.pathname.split('/');
      if (first === 'api' && opts.functions[second]?.kind === 'callable') return callFunction(opts.functions[second], req, rawBody, opts.appid, res);
      if (first === 'http' && opts.functions[second]?.kind === 'http') return httpFunction(opts.functions[second], req, url, rawBody, res);
      const mount = opts.emulators[first];
      if (mount) {
        for (const emu of mount.emulators) {
          const reply = await emu.handle(emuRequest(req, url, mount.stripPrefix ? `/${first}` : '', rawBody));
          if (reply) return send(res, reply.statusCode, reply.headers, reply.body);
        }
        return sendJson(res, 404, { code: 'NOT_FOUND', message: `the emulator has no ${url.pathname}` });
      }
      if (first === 'sandbox' && second === 'api') return opts.sandbox.handle(req.method ?? 'GET', url, rawBody, res);
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
