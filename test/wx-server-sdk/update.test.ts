import { createMemoryDatabase, DatabaseError, type LocalDatabase } from '../../scripts/local-host/wx-server-sdk';

let db: LocalDatabase;
/** Commands are stateless tokens; built here so the test table below can use them. */
const _ = createMemoryDatabase().command;
const doc = () => db.dump('c')[0];

beforeEach(async () => {
  db = createMemoryDatabase();
  await db.collection('c').add({
    data: { _id: 'x', status: 'PENDING', paidFen: 0, style: { color: 'blue', size: 'small' }, list: [1, 2, 3], keep: true },
  });
});

describe('update data', () => {
  it('a nested plain object updates only the fields it names (merge)', async () => {
    await db.collection('c').doc('x').update({ data: { style: { color: 'red' } } });
    expect(doc().style).toEqual({ color: 'red', size: 'small' });
    expect(doc().keep).toBe(true);
  });

  it('_.set replaces the field whole', async () => {
    await db.collection('c').doc('x').update({ data: { style: db.command.set({ color: 'red' }) } });
    expect(doc().style).toEqual({ color: 'red' });
  });

  it('dot-notation keys address nested fields and array elements, creating missing objects', async () => {
    await db.collection('c').doc('x').update({ data: { 'style.size': 'large', 'list.1': 20, 'refund.amountFen': 100 } });
    expect(doc()).toMatchObject({ style: { color: 'blue', size: 'large' }, list: [1, 20, 3], refund: { amountFen: 100 } });
  });

  it('arrays are replaced, not merged', async () => {
    await db.collection('c').doc('x').update({ data: { list: [9] } });
    expect(doc().list).toEqual([9]);
  });

  it('_.inc adds to numbers and creates a missing field', async () => {
    const _ = db.command;
    await db.collection('c').doc('x').update({ data: { paidFen: _.inc(990), attempts: _.inc(1) } });
    await db.collection('c').doc('x').update({ data: { paidFen: _.inc(-90) } });
    expect(doc()).toMatchObject({ paidFen: 900, attempts: 1 });
  });

  it('_.remove deletes the field', async () => {
    await db.collection('c').doc('x').update({ data: { keep: db.command.remove(), 'style.size': db.command.remove() } });
    expect(doc()).not.toHaveProperty('keep');
    expect(doc().style).toEqual({ color: 'blue' });
  });

  it('counts a document as updated only when its content changed', async () => {
    expect((await db.collection('c').doc('x').update({ data: { status: 'PENDING' } })).stats.updated).toBe(0);
    expect((await db.collection('c').where({ _id: 'x' }).update({ data: { status: 'PENDING' } })).stats.updated).toBe(0);
    expect((await db.collection('c').doc('x').update({ data: { status: 'PAID' } })).stats.updated).toBe(1);
  });

  it.each([
    ['_id', { _id: 'y' }, /_id cannot be updated/],
    ['an empty object', {}, /no field to update/],
    ['conflicting paths', { style: { color: 'red' }, 'style.color': 'green' }, /conflicting updates/],
    ['a parent and its child', { style: _.set({}), 'style.size': 'l' }, /conflicting updates/],
    ['a query command', { status: _.eq('PAID') }, /query command used as an update value/],
    ['undefined', { status: undefined }, /undefined is not a storable value/],
    ['a function', { status: () => 'PAID' }, /function is not a storable value/],
    ['_.inc of a string field', { status: _.inc(1) }, /not a number/],
    ['a path through a scalar', { 'status.code': 1 }, /cannot set field status.code/],
    ['a deeper path through a scalar', { 'status.code.x': 1 }, /cannot create field "code"/],
  ])('rejects %s and changes nothing', async (_label, data, message) => {
    const before = doc();
    const err = await db.collection('c').doc('x').update({ data }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).message).toMatch(message);
    expect(doc()).toEqual(before);
  });

  it('_.inc rejects a non-number operand when built', () => {
    expect(() => db.command.inc('1' as never)).toThrow(/finite number/);
    expect(() => db.command.inc(NaN)).toThrow(/finite number/);
  });
});

describe('where().update / where().remove', () => {
  beforeEach(async () => {
    for (const [i, status] of ['PENDING', 'PENDING', 'PAID'].entries()) {
      await db.collection('o').add({ data: { _id: `o${i}`, status, n: i } });
    }
  });

  it('updates every match and reports how many', async () => {
    const res = await db.collection('o').where({ status: 'PENDING' }).update({ data: { status: 'CLOSED' } });
    expect(res.stats).toEqual({ updated: 2 });
    expect(db.dump('o').map((d) => d.status)).toEqual(['CLOSED', 'CLOSED', 'PAID']);
  });

  it('a bad update of one match rejects the whole call and changes no document', async () => {
    await db.collection('o').doc('o1').update({ data: { n: 'one' } });
    const before = db.dump('o');
    await expect(db.collection('o').where({ status: 'PENDING' }).update({ data: { n: db.command.inc(1) } })).rejects.toThrow(/not a number/);
    expect(db.dump('o')).toEqual(before);
  });

  it('removes every match and reports how many', async () => {
    expect((await db.collection('o').where({ status: 'PENDING' }).remove()).stats).toEqual({ removed: 2 });
    expect(db.dump('o').map((d) => d._id)).toEqual(['o2']);
  });

  it('refuses skip/limit on update and remove (the real API ignores neither silently)', async () => {
    await expect(db.collection('o').where({ status: 'PENDING' }).limit(1).update({ data: { status: 'X' } })).rejects.toThrow(/not supported/);
    await expect(db.collection('o').skip(1).remove()).rejects.toThrow(/not supported/);
    expect(db.dump('o')).toHaveLength(3);
  });
});
