import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError } from '../../cloudfunctions/common/errors';
import { httpRequest, MAX_RESPONSE_BYTES, TransportError, withTimeBudget } from '../../cloudfunctions/common/http';

/** A loopback server whose behaviour each test picks. */
async function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Sends one byte every `everyMs` forever: the socket is never idle, the answer never completes. */
const trickle = (everyMs: number): http.RequestListener => (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  const t = setInterval(() => res.write(' '), everyMs);
  res.on('close', () => clearInterval(t));
};

describe('common/http limits', () => {
  it('gives up on a trickling answer at the attempt deadline, not when the socket goes idle', async () => {
    const s = await serve(trickle(50));
    try {
      const started = Date.now();
      await expect(httpRequest({ method: 'GET', url: s.url, timeoutMs: 300 })).rejects.toBeInstanceOf(TransportError);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await s.close();
    }
  });

  it('refuses an answer larger than the cap, declared or streamed', async () => {
    const big = Buffer.alloc(MAX_RESPONSE_BYTES + 1, 'a');
    const declared = await serve((_q, res) => res.writeHead(200, { 'content-length': big.length }).end(big));
    const streamed = await serve((_q, res) => {
      res.writeHead(200); // chunked: no length announced
      for (let i = 0; i < 8; i++) res.write(Buffer.alloc(MAX_RESPONSE_BYTES / 4, 'b'));
      res.end();
    });
    try {
      for (const s of [declared, streamed]) {
        const err = await httpRequest({ method: 'GET', url: s.url, timeoutMs: 5000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ProviderError);
        expect((err as ProviderError).message).toMatch(/larger than/);
      }
      // Exactly at the cap is still an answer.
      const atCap = await serve((_q, res) => res.writeHead(200).end(Buffer.alloc(MAX_RESPONSE_BYTES, 'c')));
      expect((await httpRequest({ method: 'GET', url: atCap.url, timeoutMs: 5000 })).body.length).toBe(MAX_RESPONSE_BYTES);
      await atCap.close();
    } finally {
      await declared.close();
      await streamed.close();
    }
  });

  it('shares one time budget across the requests of a call, and sends nothing once it is spent', async () => {
    let arrived = 0;
    const s = await serve((req, res) => {
      arrived++;
      trickle(50)(req, res);
    });
    try {
      const started = Date.now();
      const errors = await withTimeBudget(700, async () => {
        const out: unknown[] = [];
        // Like cancel: close, then query, each with its own (longer) per-attempt timeout.
        for (let i = 0; i < 4; i++) out.push(await httpRequest({ method: 'POST', url: s.url, body: '{}', timeoutMs: 5000 }).catch((e: unknown) => e));
        return out;
      });
      const took = Date.now() - started;
      expect(took).toBeLessThan(1200);
      expect(took).toBeGreaterThanOrEqual(650);
      expect(errors[0]).toBeInstanceOf(TransportError);
      // The rest were not even sent.
      expect(errors.slice(1).every((e) => e instanceof ProviderError && /budget/.test(e.message))).toBe(true);
      expect(arrived).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('an inner budget cannot extend the outer one', async () => {
    const s = await serve(trickle(50));
    try {
      const started = Date.now();
      await withTimeBudget(300, () => withTimeBudget(10_000, () => httpRequest({ method: 'GET', url: s.url, timeoutMs: 10_000 }).catch(() => undefined)));
      expect(Date.now() - started).toBeLessThan(900);
    } finally {
      await s.close();
    }
  });

  it('loads node:http and node:https on the first outbound call, not when the module loads', async () => {
    const loaded: string[] = [];
    await jest.isolateModulesAsync(async () => {
      const real = jest.requireActual<typeof http>('node:http');
      jest.doMock('node:http', () => { loaded.push('http'); return real; });
      jest.doMock('node:https', () => { loaded.push('https'); return jest.requireActual('node:https'); });
      const mod = await import('../../cloudfunctions/common/http');
      expect(loaded).toEqual([]);
      const s = await serve((_q, res) => res.writeHead(204).end());
      try {
        expect((await mod.httpRequest({ method: 'GET', url: s.url, timeoutMs: 2000 })).status).toBe(204);
      } finally {
        await s.close();
      }
      expect(loaded.sort()).toEqual(['http', 'https']);
    });
  });
});
