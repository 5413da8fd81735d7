import { createMemoryDatabase, DatabaseError, type LocalDatabase } from '../../scripts/local-host/wx-server-sdk';

let db: LocalDatabase;
beforeEach(async () => {
  db = createMemoryDatabase();
  await db.collection('orders').add({ data: { _id: 'o1', status: 'PENDING', paidFen: 0 } });
});

describe('concurrent writes', () => {
  it('a conditional where().update run concurrently is won by exactly one caller', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_x, i) =>
        db.collection('orders').where({ _id: 'o1', status: 'PENDING' }).update({ data: { status: 'PAID', paidBy: i } }),
      ),
    );
    const winners = results.flatMap((r, i) => (r.stats.updated === 1 ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.stats.updated === 0)).toHaveLength(49);
    expect(db.dump('orders')[0]).toMatchObject({ status: 'PAID', paidBy: winners[0] });
  });

  it('two concurrent callers with the same conditional update: one gets 1, the other 0', async () => {
    const update = () => db.collection('orders').where({ _id: 'o1', status: 'PENDING' }).update({ data: { status: 'PAID' } });
    const [a, b] = await Promise.all([update(), update()]);
    expect([a.stats.updated, b.stats.updated].sort()).toEqual([0, 1]);
  });

  it('_.inc from many concurrent callers loses no increment', async () => {
    const _ = db.command;
    await Promise.all(Array.from({ length: 100 }, () => db.collection('orders').doc('o1').update({ data: { paidFen: _.inc(10) } })));
    expect(db.dump('orders')[0].paidFen).toBe(1000);
  });

  it('concurrent adds with the same _id: exactly one succeeds, the rest reject as duplicates', async () => {
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_x, i) => db.collection('payments').add({ data: { _id: 'pay-1', attempt: i } })),
    );
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(rejected).toHaveLength(19);
    rejected.forEach((r) => expect((r.reason as DatabaseError).errCode).toBe(-502001));
    expect(db.dump('payments')).toHaveLength(1);
  });

  it('calls run after the current turn, in call order, each as one step', async () => {
    const order: string[] = [];
    const first = db.collection('orders').doc('o1').update({ data: { status: 'A' } }).then(() => order.push('update A'));
    const read = db.collection('orders').doc('o1').get().then((r) => order.push(`read ${r.data.status}`));
    const second = db.collection('orders').doc('o1').update({ data: { status: 'B' } }).then(() => order.push('update B'));
    // Nothing has run yet: the caller still sees the old state synchronously after the calls.
    expect(db.dump('orders')[0].status).toBe('PENDING');
    await Promise.all([first, read, second]);
    expect(order).toEqual(['update A', 'read A', 'update B']);
  });
});

describe('with jest fake timers', () => {
  afterEach(() => jest.useRealTimers());

  it('database calls still complete (they do not wait on timers)', async () => {
    jest.useFakeTimers();
    await db.collection('orders').doc('o1').update({ data: { status: 'PAID' } });
    expect((await db.collection('orders').doc('o1').get()).data.status).toBe('PAID');
  });
});
