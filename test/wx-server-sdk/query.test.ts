import { createMemoryDatabase, DEFAULT_LIMIT, MAX_LIMIT, type LocalDatabase } from '../../scripts/local-host/wx-server-sdk';

let db: LocalDatabase;
const ids = (res: { data: { _id: string }[] }): string[] => res.data.map((d) => d._id);

beforeEach(async () => {
  db = createMemoryDatabase();
  const docs = [
    { _id: 'a', status: 'PAID', amount: 100, buyer: { city: 'SZ', level: 2 }, tags: ['x', 'y'], items: [{ sku: 's1', qty: 1 }] },
    { _id: 'b', status: 'PENDING', amount: 250, buyer: { city: 'GZ', level: 1 }, tags: ['y'], items: [{ sku: 's2', qty: 3 }] },
    { _id: 'c', status: 'PAID', amount: 990, buyer: { city: 'SZ', level: 3 }, tags: [], note: null },
    { _id: 'd', status: 'CLOSED', amount: '990', buyer: { city: 'BJ' } },
  ];
  for (const data of docs) await db.collection('orders').add({ data });
});

describe('where', () => {
  it('ANDs plain field values', async () => {
    expect(ids(await db.collection('orders').where({ status: 'PAID', amount: 990 }).get())).toEqual(['c']);
  });

  it('matches nested fields by nested object and by dot notation alike', async () => {
    const nested = ids(await db.collection('orders').where({ buyer: { city: 'SZ' } }).get());
    const dotted = ids(await db.collection('orders').where({ 'buyer.city': 'SZ' }).get());
    expect(nested).toEqual(['a', 'c']);
    expect(dotted).toEqual(nested);
  });

  it('_.eq(object) matches the whole object exactly', async () => {
    const _ = db.command;
    expect(ids(await db.collection('orders').where({ buyer: _.eq({ city: 'BJ' }) }).get())).toEqual(['d']);
    expect(ids(await db.collection('orders').where({ buyer: _.eq({ city: 'SZ' }) }).get())).toEqual([]);
  });

  it('matches array fields by element, by whole array and by index; looks into arrays of objects', async () => {
    const orders = db.collection('orders');
    expect(ids(await orders.where({ tags: 'y' }).get())).toEqual(['a', 'b']);
    expect(ids(await orders.where({ tags: ['y'] }).get())).toEqual(['b']);
    expect(ids(await orders.where({ 'tags.1': 'y' }).get())).toEqual(['a']);
    expect(ids(await orders.where({ 'items.sku': 's2' }).get())).toEqual(['b']);
    expect(ids(await orders.where({ 'items.0.qty': db.command.gt(1) }).get())).toEqual(['b']);
  });

  it('supports eq/neq/gt/gte/lt/lte/in/nin/exists', async () => {
    const _ = db.command;
    const q = async (cond: Record<string, unknown>) => ids(await db.collection('orders').where(cond).get());
    expect(await q({ status: _.eq('PAID') })).toEqual(['a', 'c']);
    expect(await q({ status: _.neq('PAID') })).toEqual(['b', 'd']);
    expect(await q({ amount: _.gt(250) })).toEqual(['c']);
    expect(await q({ amount: _.gte(250) })).toEqual(['b', 'c']);
    expect(await q({ amount: _.lt(250) })).toEqual(['a']);
    expect(await q({ amount: _.lte(250) })).toEqual(['a', 'b']);
    expect(await q({ status: _.in(['PENDING', 'CLOSED']) })).toEqual(['b', 'd']);
    expect(await q({ status: _.nin(['PENDING', 'CLOSED']) })).toEqual(['a', 'c']);
    expect(await q({ note: _.exists(true) })).toEqual(['c']);
    expect(await q({ items: _.exists(false) })).toEqual(['c', 'd']);
  });

  it('compares only values of the same type (the string "990" is not > 500)', async () => {
    expect(ids(await db.collection('orders').where({ amount: db.command.gt(500) }).get())).toEqual(['c']);
    expect(ids(await db.collection('orders').where({ amount: '990' }).get())).toEqual(['d']);
  });

  it('neq / nin also match documents missing the field; eq(null) matches null or missing', async () => {
    const _ = db.command;
    expect(ids(await db.collection('orders').where({ 'buyer.level': _.neq(2) }).get())).toEqual(['b', 'c', 'd']);
    expect(ids(await db.collection('orders').where({ 'buyer.level': _.nin([1, 2, 3]) }).get())).toEqual(['d']);
    expect(ids(await db.collection('orders').where({ note: null }).get())).toEqual(['a', 'b', 'c', 'd']);
  });

  it('combines with _.and / _.or at field level and top level', async () => {
    const _ = db.command;
    const orders = db.collection('orders');
    expect(ids(await orders.where({ amount: _.gt(100).and(_.lt(990)) }).get())).toEqual(['b']);
    expect(ids(await orders.where({ amount: _.lt(200).or(_.gt(500)) }).get())).toEqual(['a', 'c']);
    expect(ids(await orders.where({ amount: _.and([_.gte(100), _.lte(250)]) }).get())).toEqual(['a', 'b']);
    expect(ids(await orders.where(_.or([{ status: 'CLOSED' }, { 'buyer.level': 1 }])).get())).toEqual(['b', 'd']);
    expect(ids(await orders.where(_.and({ status: 'PAID' }, { 'buyer.level': _.gte(3) })).get())).toEqual(['c']);
  });

  it('a later where() replaces the earlier one', async () => {
    expect(ids(await db.collection('orders').where({ status: 'PAID' }).where({ status: 'CLOSED' }).get())).toEqual(['d']);
  });

  it('throws a clear error for conditions it does not support instead of ignoring them', () => {
    const orders = db.collection('orders');
    expect(() => orders.where({ amount: { $gt: 1 } })).toThrow(/not supported.*raw operator "\$gt".*db\.command/);
    expect(() => orders.where({ status: /PA/ })).toThrow(/not supported.*regular expression/);
    expect(() => orders.where({ amount: db.command.inc(1) })).toThrow(/update command _\.inc\(\) used as a query condition/);
    expect(() => orders.where({ amount: undefined })).toThrow(/undefined is not a storable value/);
    expect(() => orders.where('status' as never)).toThrow(/where\(\) takes an object/);
    expect(() => db.command.in('x' as never)).toThrow(/takes an array/);
    expect(() => db.command.exists('yes' as never)).toThrow(/takes a boolean/);
    expect(() => db.command.or([])).toThrow(/at least one condition/);
  });
});

describe('orderBy / skip / limit / count', () => {
  it('orders by several fields, including nested ones, asc and desc', async () => {
    const res = await db.collection('orders').orderBy('buyer.city', 'asc').orderBy('amount', 'desc').get();
    expect(ids(res)).toEqual(['d', 'b', 'c', 'a']);
  });

  it('puts missing values first in ascending order', async () => {
    expect(ids(await db.collection('orders').orderBy('buyer.level', 'asc').get())).toEqual(['d', 'b', 'a', 'c']);
  });

  it('skips and limits after filtering and sorting', async () => {
    const res = await db.collection('orders').where({ status: db.command.neq('CLOSED') }).orderBy('amount', 'desc').skip(1).limit(1).get();
    expect(ids(res)).toEqual(['b']);
  });

  it(`returns at most ${DEFAULT_LIMIT} documents by default and up to ${MAX_LIMIT} with limit()`, async () => {
    const big = createMemoryDatabase();
    for (let i = 0; i < 1005; i++) await big.collection('n').add({ data: { i } });
    expect((await big.collection('n').get()).data).toHaveLength(DEFAULT_LIMIT);
    expect((await big.collection('n').limit(MAX_LIMIT).get()).data).toHaveLength(MAX_LIMIT);
    expect((await big.collection('n').skip(1000).limit(MAX_LIMIT).get()).data.map((d) => d.i)).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect((await big.collection('n').count()).total).toBe(1005);
  });

  it('rejects bad limit/skip/order arguments', () => {
    const c = db.collection('orders');
    expect(() => c.limit(MAX_LIMIT + 1)).toThrow(/limit must be an integer from 1 to 1000/);
    expect(() => c.limit(0)).toThrow(/limit/);
    expect(() => c.limit(1.5)).toThrow(/limit/);
    expect(() => c.skip(-1)).toThrow(/skip/);
    expect(() => c.orderBy('amount', 'up' as never)).toThrow(/order must be/);
  });

  it('count() counts the matches and refuses skip/limit', async () => {
    expect(await db.collection('orders').where({ status: 'PAID' }).count()).toMatchObject({ total: 2 });
    await expect(db.collection('orders').limit(1).count()).rejects.toThrow(/not supported/);
  });

  it('reading an unknown collection gives an empty result', async () => {
    expect((await db.collection('nothing').get()).data).toEqual([]);
  });

  it('get() results are copies', async () => {
    const first = await db.collection('orders').where({ _id: 'a' }).get();
    (first.data[0].buyer as { city: string }).city = 'changed';
    expect((await db.collection('orders').doc('a').get()).data.buyer).toEqual({ city: 'SZ', level: 2 });
  });
});
