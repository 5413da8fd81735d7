import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V2SignType, WxPayV2Config } from '../../cloudfunctions/common/config';
import type { HttpReply, HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import type { EmuReply, EmuRequest } from '../../scripts/local-host/emulators/types';

export interface Served {
  url: string;
  close(): Promise<void>;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function lowerHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function listen(server: http.Server): Promise<Served> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A real loopback HTTP server in front of an emulator's handle(). */
export function serveEmulator(handle: (req: EmuRequest) => Promise<EmuReply | undefined>): Promise<Served> {
  return listen(
    http.createServer(async (req, res) => {
      const rawBody = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const reply = await handle({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: lowerHeaders(req), rawBody });
      if (res.destroyed) return; // the client gave up (timeout fault)
      if (!reply) res.writeHead(404).end('not found');
      else res.writeHead(reply.statusCode, reply.headers).end(reply.body);
    }),
  );
}

/** A loopback notify endpoint: each request goes to `handler`, whose reply is sent back. */
export function serveNotify(handler: (req: HttpRequestLike) => Promise<HttpReply>): Promise<Served> {
  return listen(
    http.createServer(async (req, res) => {
      const rawBody = await readBody(req);
      const reply = await handler({ method: req.method ?? 'POST', path: req.url ?? '/', headers: lowerHeaders(req), rawBody });
      res.writeHead(reply.statusCode, reply.headers).end(reply.body);
    }),
  );
}

/** A fresh merchant for each test run: keys are generated, never stored. */
export function merchant() {
  return {
    mchid: '1900000109',
    appid: `wx${crypto.randomBytes(8).toString('hex')}`,
    key: crypto.randomBytes(16).toString('hex'),
  };
}

export function v2Config(m: ReturnType<typeof merchant>, apiBase: string, notifyUrl: string, signType: V2SignType): WxPayV2Config {
  return { version: 'v2', appid: m.appid, mchid: m.mchid, key: m.key, apiBase, notifyUrl, signType };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
