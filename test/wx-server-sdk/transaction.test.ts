import { setTimeout as sleep } from 'node:timers/promises';
import type { Transaction } from '../../cloudfunctions/common/db/types';
import { createMemoryDatabase, DatabaseError, type LocalDatabase } from '../../scripts/local-host/wx-server-sdk';

/**
 * db.runTransaction as documented for wx-server-sdk: all or nothing, invisible until committed,
 * rejected with the thrown error or the rollback reason, run again on a conflict (up to `times`).
 */

let db: LocalDatabase;
beforeEach(async () => {
  db = createMemoryDatabase();
  await db.collection('account').add({ data: { _id: 'aaa', amount: 100 } });
  await db.collection('account').add({ data: { _id: 'bbb', amount: 0 } });
});

const amounts = () => Object.fromEntries(db.dump('account').map((d) => [d._id, d.amount]));

/** The documented example: move `n` from aaa to bbb, recording the transfer. */
const transfer = (n: number, pause = 0) => async (t: Transaction) => {
  const _ = db.command;
  const a = await t.collection('account').doc('aaa').get();
  if (pause) await sleep(pause);
  if ((a.data.amount as number) < n) await t.rollback('INSUFFICIENT');
  await t.collection('account').doc('aaa').update({ data: { amount: _.inc(-n) } });
  await t.collection('account').doc('bbb').update({ data: { amount: _.inc(n) } });
  const { _id } = await t.collection('transfers').add({ data: { n } });
  return _id;
};

describe('db.runTransaction', () => {
  it('commits every write together and resolves with what the callback returned', async () => {
    const id = await db.runTransaction(transfer(30));
    expect(amounts()).toEqual({ aaa: 70, bbb: 30 });
    expect(db.dump('transfers')).toEqual([{ _id: id, n: 30 }]);
  });

  it('keeps its writes invisible to everyone else until it commits, and reads its own writes', async () => {
    let seenInside: unknown;
    let seenOutside: unknown;
    await db.runTransaction(async (t) => {
      await t.collection('account').doc('aaa').set({ data: { amount: 1 } });
      seenInside = (await t.collection('account').doc('aaa').get()).data.amount;
      seenOutside = (await db.collection('account').doc('aaa').get()).data.amount;
      expect(db.dump('account')[0].amount).toBe(100);
    });
    expect([seenInside, seenOutside]).toEqual([1, 100]);
    expect(amounts().aaa).toBe(1);
  });

  it('writes nothing when the callback throws, and rejects with that error', async () => {
    const boom = new Error('boom');
    await expect(
      db.runTransaction(async (t) => {
        await t.collection('account').doc('aaa').update({ data: { amount: 0 } });
        await t.collection('transfers').add({ data: { n: 1 } });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(amounts()).toEqual({ aaa: 100, bbb: 0 });
    expect(db.dump('transfers')).toEqual([]);
  });

  it('transaction.rollback(reason): nothing written, runTransaction rejects with the reason itself', async () => {
    await expect(db.runTransaction(transfer(500))).rejects.toBe('INSUFFICIENT');
    await expect(
      db.runTransaction(async (t) => {
        await t.collection('account').doc('aaa').remove();
        await t.rollback(-100);
      }),
    ).rejects.toBe(-100);
    expect(amounts()).toEqual({ aaa: 100, bbb: 0 });
  });

  it('refuses calls on a transaction once it is over', async () => {
    let kept: Transaction | undefined;
    await db.runTransaction(async (t) => {
      kept = t;
    });
    await expect(kept!.collection('account').doc('aaa').get()).rejects.toThrow(/already been committed or rolled back/);
  });

  it('single-document operations keep their semantics: get of a missing document rejects, add of an existing _id fails the transaction', async () => {
    await expect(db.runTransaction((t) => t.collection('account').doc('nobody').get())).rejects.toThrow(/cannot find document/);
    const dup = await db
      .runTransaction(async (t) => {
        await t.collection('account').doc('aaa').update({ data: { amount: 1 } });
        await t.collection('account').add({ data: { _id: 'bbb', amount: 5 } });
      })
      .catch((e: DatabaseError) => e);
    expect((dup as DatabaseError).errCode).toBe(-502001);
    expect(amounts()).toEqual({ aaa: 100, bbb: 0 });
    const r = await db.runTransaction(async (t) => [
      await t.collection('account').doc('ccc').set({ data: { amount: 7 } }),
      await t.collection('account').doc('zzz').update({ data: { amount: 1 } }),
      await t.collection('account').doc('bbb').remove(),
    ]);
    expect(r.map((x) => x.stats)).toEqual([{ updated: 0, created: 1 }, { updated: 0 }, { removed: 1 }]);
    expect(amounts()).toEqual({ aaa: 100, ccc: 7 });
  });

  it('a writer that changes what the transaction read makes it run again on fresh data: no update is lost', async () => {
    let runs = 0;
    const tx = db.runTransaction(async (t) => {
      runs++;
      const a = (await t.collection('account').doc('aaa').get()).data.amount as number;
      await sleep(20);
      await t.collection('account').doc('aaa').update({ data: { amount: a - 10 } });
    });
    await sleep(5);
    await db.collection('account').doc('aaa').update({ data: { amount: db.command.inc(1000) } });
    await tx;
    expect(runs).toBe(2);
    expect(amounts().aaa).toBe(1090);
  });

  it('gives up after `times` conflicting attempts, writing nothing', async () => {
    let runs = 0;
    const tx = db.runTransaction(async (t) => {
      runs++;
      await t.collection('account').doc('aaa').get();
      await t.collection('account').doc('bbb').set({ data: { amount: -1 } });
      // A concurrent writer changes aaa while every attempt is open.
      await db.collection('account').doc('aaa').update({ data: { amount: db.command.inc(1) } });
    }, 2);
    await expect(tx).rejects.toThrow(/conflict/);
    expect(runs).toBe(2);
    expect(amounts()).toEqual({ aaa: 102, bbb: 0 });
  });

  it('concurrent transfers: the money is conserved and every transfer that resolved is applied exactly once', async () => {
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_x, i) => db.runTransaction(transfer(1 + (i % 3), i % 4), 50)));
    const done = results.filter((r): r is PromiseFulfilledResult<string> => r.status === 'fulfilled').map((r) => r.value);
    const moved = db.dump('transfers').reduce((sum, d) => sum + (d.n as number), 0);
    expect(db.dump('transfers').map((d) => d._id).sort()).toEqual([...done].sort());
    expect(amounts()).toEqual({ aaa: 100 - moved, bbb: moved });
    expect(done.length).toBeGreaterThan(0);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBe('INSUFFICIENT');
  });

  it('is counted with the reads and writes it makes', async () => {
    const before = db.callCounts();
    await db.runTransaction(transfer(1));
    const after = db.callCounts();
    expect([after.transaction - before.transaction, after.read - before.read, after.write - before.write]).toEqual([1, 1, 3]);
  });
});
