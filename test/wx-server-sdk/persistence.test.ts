import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wxsdk-db-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const tmpFiles = () => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('createMemoryDatabase({ dir })', () => {
  it('keeps data across re-creation from the same directory, Dates included', async () => {
    const db = createMemoryDatabase({ dir });
    const createdAt = new Date('2024-06-18T08:00:00.123Z');
    await db.collection('orders').add({ data: { _id: 'o1', amountFen: 990, createdAt, items: [{ sku: 'a' }], note: null } });
    await db.collection('orders').add({ data: { _id: 'o2', amountFen: 1 } });
    await db.collection('orders').doc('o1').update({ data: { status: 'PAID' } });
    await db.collection('orders').doc('o2').remove();
    await db.collection('users').doc('u1').set({ data: { name: '张三' } });

    const reopened = createMemoryDatabase({ dir });
    expect(reopened.collectionNames().sort()).toEqual(['orders', 'users']);
    const { data } = await reopened.collection('orders').doc('o1').get();
    expect(data).toEqual({ _id: 'o1', amountFen: 990, createdAt, items: [{ sku: 'a' }], note: null, status: 'PAID' });
    expect(data.createdAt).toBeInstanceOf(Date);
    await expect(reopened.collection('orders').doc('o2').get()).rejects.toThrow(/cannot find document/);
    expect(reopened.dump('users')).toEqual([{ _id: 'u1', name: '张三' }]);
    // The reopened database keeps working on the same files.
    await reopened.collection('orders').doc('o1').update({ data: { status: 'REFUNDED' } });
    expect(createMemoryDatabase({ dir }).dump('orders')[0].status).toBe('REFUNDED');
  });

  it('writes each change to the database file as it is made: a second reader sees it at once', async () => {
    const db = createMemoryDatabase({ dir });
    await Promise.all(Array.from({ length: 30 }, (_x, i) => db.collection('orders').add({ data: { _id: `o${i}`, i } })));
    expect(fs.readdirSync(dir).filter((f) => !f.startsWith('database.sqlite'))).toEqual([]);
    // Another connection on the same file, as after a crash of this one: every acknowledged write is there.
    expect(createMemoryDatabase({ dir }).dump('orders')).toHaveLength(30);
    await db.collection('orders').doc('o3').update({ data: { i: 300 } });
    expect(createMemoryDatabase({ dir }).dump('orders').find((d) => d._id === 'o3')?.i).toBe(300);
  });

  it('a write that fails rejects and leaves the stored data as it was (all or nothing)', async () => {
    const db = createMemoryDatabase({ dir });
    const _ = db.command;
    await db.collection('orders').add({ data: { _id: 'o1', n: 1 } });
    await db.collection('orders').add({ data: { _id: 'o2', n: 'not a number' } });
    // One update of both documents: o1 is fine, o2 cannot take _.inc, so neither changes.
    await expect(db.collection('orders').where({ _id: _.in(['o1', 'o2']) }).update({ data: { n: _.inc(1) } })).rejects.toThrow(/_\.inc\(\) on n/);
    expect(createMemoryDatabase({ dir }).dump('orders')).toEqual([
      { _id: 'o1', n: 1 },
      { _id: 'o2', n: 'not a number' },
    ]);
  });

  it('imports the JSON files of the former format once, removing temporary files a crashed write left', async () => {
    fs.writeFileSync(path.join(dir, 'orders.json'), JSON.stringify([{ _id: 'o1', createdAt: { $date: '2024-06-18T08:00:00.123Z' } }]));
    fs.writeFileSync(path.join(dir, '.orders.json.999.1.tmp'), '[{"_id": "torn');
    const reopened = createMemoryDatabase({ dir });
    expect(reopened.dump('orders')).toEqual([{ _id: 'o1', createdAt: new Date('2024-06-18T08:00:00.123Z') }]);
    expect(tmpFiles()).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'orders.json'))).toBe(false);
    expect(createMemoryDatabase({ dir }).dump('orders')).toHaveLength(1);
  });

  it('refuses to start on a corrupt collection file instead of dropping its data', () => {
    fs.writeFileSync(path.join(dir, 'orders.json'), '{"not": "an array"}');
    expect(() => createMemoryDatabase({ dir })).toThrow(/orders\.json is not an array of documents/);
    fs.writeFileSync(path.join(dir, 'orders.json'), '[{"_id": ');
    expect(() => createMemoryDatabase({ dir })).toThrow(SyntaxError);
  });

  it('creates the directory when it does not exist', async () => {
    const nested = path.join(dir, 'a', 'b');
    await createMemoryDatabase({ dir: nested }).collection('c').add({ data: { _id: 'x' } });
    expect(createMemoryDatabase({ dir: nested }).dump('c')).toEqual([{ _id: 'x' }]);
  });
});
