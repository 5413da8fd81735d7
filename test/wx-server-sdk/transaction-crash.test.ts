import { spawn } from 'node:child_process';
import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';

/**
 * A process committing transactions on a database directory is killed with SIGKILL at a random moment,
 * three times over: every transaction it was told had committed is there, and none is half there.
 */

const ROOT = path.resolve(__dirname, '..', '..');
let dir: string;
let script: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-crash-'));
  script = path.join(dir, 'writer.js');
  // Each transaction takes 1 from aaa, records transfer n and notes it as the last in bbb; "ack n" once it resolved.
  buildSync({
    stdin: {
      contents: `
        import { createMemoryDatabase } from './scripts/local-host/wx-server-sdk';
        const db = createMemoryDatabase({ dir: process.argv[2] });
        const _ = db.command;
        (async () => {
          // Fails, as it should, when an earlier run created it.
          await db.collection('account').add({ data: { _id: 'aaa', amount: 1000 } }).catch(() => undefined);
          for (let n = Number(process.argv[3]); ; n++) {
            await db.runTransaction(async (t) => {
              await t.collection('account').doc('aaa').update({ data: { amount: _.inc(-1) } });
              await t.collection('transfers').add({ data: { _id: 't' + n, n } });
              await t.collection('account').doc('bbb').set({ data: { last: (await t.collection('transfers').doc('t' + n).get()).data.n } });
            });
            process.stdout.write('ack ' + n + '\\n');
          }
        })();`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    external: ['better-sqlite3'],
    outfile: script,
    logLevel: 'warning',
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the writer from transfer `from` until `acks` transactions are acknowledged plus a random delay, then kills it. */
function runAndKill(db: string, from: number, acks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, db, String(from)], { cwd: ROOT, env: { PATH: process.env.PATH, NODE_PATH: path.join(ROOT, 'node_modules') }, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let out = '';
    let err = '';
    let killing = false;
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('ack ')) acked.push(Number(l.slice(4)));
      if (!killing && acked.length >= acks) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 15));
      }
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`writer ended without being killed: ${err}`))));
  });
}

it('SIGKILL mid-transactions: everything acknowledged is kept, all or nothing of the rest', async () => {
  const db = path.join(dir, 'db');
  let from = 0;
  const acked: number[] = [];
  for (let round = 0; round < 3; round++) {
    acked.push(...(await runAndKill(db, from, 150)));
    const reopened = createMemoryDatabase({ dir: db });
    const transfers = reopened.dump('transfers').map((d) => d.n as number);
    const accounts = Object.fromEntries(reopened.dump('account').map((d) => [d._id, d]));
    reopened.close();
    // Nothing acknowledged is lost; at most the one in flight went through unacknowledged.
    expect(transfers.length - acked.length).toBeGreaterThanOrEqual(0);
    expect(transfers.length - acked.length).toBeLessThanOrEqual(1);
    for (const n of acked) expect(transfers).toContain(n);
    // Each transaction's three writes landed together.
    expect(accounts.aaa.amount).toBe(1000 - transfers.length);
    expect(accounts.bbb.last).toBe(Math.max(...transfers));
    from = Math.max(...transfers) + 1;
  }
}, 60_000);
