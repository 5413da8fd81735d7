import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpReply, HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import type { Emulator } from '../../scripts/local-host/emulators/types';
import { Notifier } from '../../scripts/local-host/emulators/notifier';

/** Tiny loopback HTTP servers for the v3 tests: one in front of an emulator, one as our notify endpoint. */

export interface Loopback {
  url: string;
  close(): Promise<void>;
}

function listen(handler: (req: HttpRequestLike) => Promise<HttpReply>): Promise<Loopback> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      handler({ method: req.method ?? 'GET', path: req.url ?? '/', headers, rawBody: Buffer.concat(chunks) })
        .then((reply) => {
          // The client may have given up (timeout faults): writing then is harmless.
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

/**
 * Serves an emulator's API under `prefix`, stripped before the emulator sees the path, as the local
 * host does; the path goes through undecoded.
 */
export function serveEmulator(emulator: Emulator, prefix = ''): Promise<Loopback> {
  return listen(async (req) => {
    const q = req.path.indexOf('?');
    const path = q < 0 ? req.path : req.path.slice(0, q);
    if (!path.startsWith(prefix)) return { statusCode: 404, headers: {}, body: 'outside the emulator prefix' };
    const reply = await emulator.handle({
      method: req.method,
      path: path.slice(prefix.length),
      query: new URLSearchParams(q < 0 ? '' : req.path.slice(q + 1)),
      headers: req.headers,
      rawBody: req.rawBody,
    });
    return reply ?? { statusCode: 404, headers: {}, body: 'not an emulator path' };
  });
}

/** A notify endpoint that records what arrived and answers with `answer`. */
export async function serveNotify(answer: (req: HttpRequestLike) => Promise<HttpReply>): Promise<Loopback & { received: HttpRequestLike[] }> {
  const received: HttpRequestLike[] = [];
  const lb = await listen(async (req) => {
    received.push(req);
    return answer(req);
  });
  return { ...lb, received };
}

/** The platform's redelivery, shortened for tests. */
export const testNotifier = () => new Notifier({ scheduleMs: [30, 30, 30], isAccepted: (status) => status === 200 || status === 204, timeoutMs: 2000 });

export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
