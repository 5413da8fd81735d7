import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import type { EmuReply, EmuRequest } from '../../scripts/local-host/emulators/types';

/**
 * An independent PAYJS signer, written from the documented algorithm and sharing nothing with ours:
 * a Map of the kept fields, an explicit code-unit sort, string concatenation and node-forge's MD5.
 */
export function referenceSign(params: Record<string, unknown>, key: string): string {
  const kept = new Map<string, string>();
  for (const name of Object.keys(params)) {
    const value = params[name];
    if (name !== 'sign' && value !== null && value !== undefined) kept.set(name, String(value));
  }
  const names = [...kept.keys()];
  names.sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.charCodeAt(i) - b.charCodeAt(i);
    }
    return a.length - b.length;
  });
  let text = '';
  for (const name of names) text += `${name}=${kept.get(name)}&`;
  text += `key=${key}`;
  const md = forge.md.md5.create();
  md.update(text, 'utf8');
  return md.digest().toHex().toUpperCase();
}

/** A form body as PAYJS would post it, signed by the reference signer (or with the given sign). */
export function signedForm(fields: Record<string, string>, key: string, sign = referenceSign(fields, key)): Buffer {
  return Buffer.from(new URLSearchParams({ ...fields, sign }).toString());
}

export interface Served {
  url: string;
  close(): Promise<void>;
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

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function headersOf(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Serves an emulator's API on loopback; 404 for paths it does not answer. */
export async function serveEmulator(handle: (req: EmuRequest) => Promise<EmuReply | undefined>): Promise<Served> {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const reply = await handle({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: headersOf(req), rawBody: await readBody(req) });
    if (!reply) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(reply.statusCode, reply.headers).end(reply.body);
  });
  return listen(server);
}

export interface ReceivedNotification {
  method: string;
  path: string;
  headers: Record<string, string>;
  rawBody: Buffer;
}

/** A merchant notify endpoint: records each request and answers with `answer(request)`. */
export async function serveNotifyEndpoint(answer: (n: ReceivedNotification) => Promise<{ status: number; body: string }>): Promise<Served & { received: ReceivedNotification[] }> {
  const received: ReceivedNotification[] = [];
  const server = http.createServer(async (req, res) => {
    const n = { method: req.method ?? '', path: new URL(req.url ?? '/', 'http://127.0.0.1').pathname, headers: headersOf(req), rawBody: await readBody(req) };
    received.push(n);
    const { status, body } = await answer(n);
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  });
  return { ...(await listen(server)), received };
}

export async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
