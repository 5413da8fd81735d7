import { createMemoryDatabase, DatabaseError, type LocalDatabase } from '../../scripts/local-host/wx-server-sdk';

let db: LocalDatabase;
beforeEach(() => {
  db = createMemoryDatabase();
});

describe('collection.add', () => {
  it('returns a generated _id and stores the document without adding _openid', async () => {
    const res = await db.collection('orders').add({ data: { amount: 990, status: 'PENDING' } });
    expect(res._id).toMatch(/^[0-9a-f]{32}$/);
    const { data } = await db.collection('orders').doc(res._id).get();
    expect(data).toEqual({ _id: res._id, amount: 990, status: 'PENDING' });
  });

  it('keeps a caller-chosen _id and rejects a second add with the same _id, changing nothing', async () => {
    await db.collection('orders').add({ data: { _id: 'o1', amount: 1 } });
    const err = await db.collection('orders').add({ data: { _id: 'o1', amount: 2 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).errCode).toBe(-502001);
    expect((err as DatabaseError).errMsg).toMatch(/duplicate key/);
    expect(db.dump('orders')).toEqual([{ _id: 'o1', amount: 1 }]);
  });

  it('generates distinct ids', async () => {
    const ids = await Promise.all(Array.from({ length: 50 }, () => db.collection('c').add({ data: { n: 1 } })));
    expect(new Set(ids.map((r) => r._id)).size).toBe(50);
  });

  it.each([
    ['a function', { f: () => 1 }],
    ['undefined', { a: undefined }],
    ['a nested undefined', { a: { b: undefined } }],
    ['NaN', { n: NaN }],
    ['Infinity', { n: Infinity }],
    ['a Map', { m: new Map() }],
    ['a class instance', { x: new (class Foo {})() }],
    ['a bigint', { b: BigInt(1) }],
    ['a $ field name', { $gt: 1 }],
    ['a dotted field name', { 'a.b': 1 }],
    ['an invalid Date', { d: new Date('nope') }],
    ['a non-string _id', { _id: 5 }],
    ['an empty _id', { _id: '' }],
  ])('rejects data with %s and stores nothing', async (_label, data) => {
    const err = await db.collection('c').add({ data: data as Record<string, unknown> }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).errCode).toBe(-501001);
    expect(db.dump('c')).toEqual([]);
  });

  it('rejects a call without { data }', async () => {
    await expect(db.collection('c').add({} as never)).rejects.toThrow(/expected \{ data/);
  });

  it('copies the input when called: later caller mutations do not reach the store', async () => {
    const data = { items: [{ sku: 'a', qty: 1 }] };
    const pending = db.collection('c').add({ data: { _id: 'x', ...data } });
    data.items[0].qty = 99;
    await pending;
    expect(db.dump('c')[0].items).toEqual([{ sku: 'a', qty: 1 }]);
  });

  it('stores Dates as Dates', async () => {
    const at = new Date('2024-05-01T00:00:00Z');
    await db.collection('c').add({ data: { _id: 'd', at } });
    const { data } = await db.collection('c').doc('d').get();
    expect(data.at).toBeInstanceOf(Date);
    expect((data.at as Date).getTime()).toBe(at.getTime());
  });
});

describe('doc().get', () => {
  it('rejects for a missing document', async () => {
    const err = await db.collection('orders').doc('nope').get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).errMsg).toMatch(/^document\.get:fail .*nope/);
  });

  it('returns a deep copy: mutating the result does not change the store', async () => {
    await db.collection('c').add({ data: { _id: 'x', nested: { list: [1, 2] } } });
    const first = await db.collection('c').doc('x').get();
    (first.data.nested as { list: number[] }).list.push(3);
    const second = await db.collection('c').doc('x').get();
    expect(second.data.nested).toEqual({ list: [1, 2] });
  });

  it('rejects an empty id', async () => {
    await expect(db.collection('c').doc('').get()).rejects.toThrow(/_id must be a non-empty string/);
  });
});

describe('doc().set', () => {
  it('creates a missing document: created 1, updated 0', async () => {
    const res = await db.collection('c').doc('s1').set({ data: { a: 1 } });
    expect(res).toMatchObject({ _id: 's1', stats: { created: 1, updated: 0 } });
    expect(db.dump('c')).toEqual([{ _id: 's1', a: 1 }]);
  });

  it('replaces an existing document whole: updated 1, created 0', async () => {
    await db.collection('c').add({ data: { _id: 's1', a: 1, b: { c: 2 } } });
    const res = await db.collection('c').doc('s1').set({ data: { b: { d: 3 } } });
    expect(res.stats).toEqual({ created: 0, updated: 1 });
    expect(db.dump('c')).toEqual([{ _id: 's1', b: { d: 3 } }]);
  });

  it('rejects update commands and a different _id in data', async () => {
    await expect(db.collection('c').doc('s1').set({ data: { n: db.command.inc(1) } })).rejects.toThrow(/not a storable value/);
    await expect(db.collection('c').doc('s1').set({ data: { _id: 'other' } })).rejects.toThrow(/differs/);
    expect(db.dump('c')).toEqual([]);
  });
});

describe('doc().update and doc().remove', () => {
  it('update reports 1 for an existing document and 0 for a missing one (no rejection)', async () => {
    await db.collection('c').add({ data: { _id: 'u', n: 1 } });
    expect((await db.collection('c').doc('u').update({ data: { n: 2 } })).stats).toEqual({ updated: 1 });
    expect((await db.collection('c').doc('missing').update({ data: { n: 2 } })).stats).toEqual({ updated: 0 });
    expect(db.dump('c')).toEqual([{ _id: 'u', n: 2 }]);
  });

  it('remove reports 1 then 0', async () => {
    await db.collection('c').add({ data: { _id: 'r' } });
    expect((await db.collection('c').doc('r').remove()).stats).toEqual({ removed: 1 });
    expect((await db.collection('c').doc('r').remove()).stats).toEqual({ removed: 0 });
    await expect(db.collection('c').doc('r').get()).rejects.toBeInstanceOf(DatabaseError);
  });
});

describe('collection names', () => {
  it.each(['', 'a/b', '../x', 'a.b', 'x'.repeat(65)])('rejects %j', (name) => {
    expect(() => db.collection(name)).toThrow(/collection name/);
  });

  it('lists collections that were written', async () => {
    await db.collection('orders').add({ data: {} });
    await db.collection('payments').add({ data: {} });
    expect(db.collectionNames().sort()).toEqual(['orders', 'payments']);
  });
});
