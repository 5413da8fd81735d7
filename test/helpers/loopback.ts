import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { lowerCaseHeaders } from '../../cloudfunctions/common/http';
import type { HttpReply, HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import type { EmuReply, EmuRequest } from '../../scripts/local-host/emulators/types';

/** Small HTTP servers on 127.0.0.1 for protocol tests: in front of an emulator, or as a notify endpoint. */

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Serves `handler`; the request path keeps its query and is not percent-decoded (signatures cover it). */
export function serveHttp(handler: (req: HttpRequestLike) => Promise<HttpReply>): Promise<Served> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handler({ method: req.method ?? 'GET', path: req.url ?? '/', headers: lowerCaseHeaders(req.headers), rawBody: Buffer.concat(chunks) })
        .then((reply) => {
          // The client may have given up (timeout faults): then there is nobody to answer.
          if (!res.destroyed) res.writeHead(reply.statusCode, reply.headers).end(reply.body);
        })
        .catch((e: Error) => res.writeHead(500).end(e.message));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Serves an emulator's API under `prefix` (stripped before the emulator sees the path, as the local host does). */
export function serveEmulator(handle: (req: EmuRequest) => Promise<EmuReply | undefined>, prefix = ''): Promise<Served> {
  return serveHttp(async (req) => {
    const q = req.path.indexOf('?');
    const path = q < 0 ? req.path : req.path.slice(0, q);
    if (!path.startsWith(prefix)) return { statusCode: 404, headers: {}, body: 'outside the emulator prefix' };
    const reply = await handle({ ...req, path: path.slice(prefix.length) || '/', query: new URLSearchParams(q < 0 ? '' : req.path.slice(q + 1)) });
    return reply ?? { statusCode: 404, headers: {}, body: 'not an emulator path' };
  });
}

/** A notify endpoint that records what arrived and answers with `answer`. */
export async function serveNotify(answer: (req: HttpRequestLike) => Promise<HttpReply>): Promise<Served & { received: HttpRequestLike[] }> {
  const received: HttpRequestLike[] = [];
  const served = await serveHttp(async (req) => {
    received.push(req);
    return answer(req);
  });
  return { ...served, received };
}

export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
