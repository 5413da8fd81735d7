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

  it('writes one JSON file per collection after every change and leaves no temporary file', async () => {
    const db = createMemoryDatabase({ dir });
    await Promise.all(Array.from({ length: 30 }, (_x, i) => db.collection('orders').add({ data: { _id: `o${i}`, i } })));
    expect(fs.readdirSync(dir)).toEqual(['orders.json']);
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'orders.json'), 'utf8'));
    expect(onDisk).toHaveLength(30);
    await db.collection('orders').doc('o3').update({ data: { i: 300 } });
    const after = JSON.parse(fs.readFileSync(path.join(dir, 'orders.json'), 'utf8'));
    expect(after.find((d: { _id: string }) => d._id === 'o3').i).toBe(300);
    expect(tmpFiles()).toEqual([]);
  });

  it('a write that cannot be saved rejects, leaves memory unchanged and removes its temporary file', async () => {
    const db = createMemoryDatabase({ dir });
    await db.collection('orders').add({ data: { _id: 'o1' } });
    // Replace the collection file by a non-empty directory, so the final rename must fail.
    fs.rmSync(path.join(dir, 'orders.json'));
    fs.mkdirSync(path.join(dir, 'orders.json'));
    fs.writeFileSync(path.join(dir, 'orders.json', 'block'), 'x');

    await expect(db.collection('orders').add({ data: { _id: 'o2' } })).rejects.toThrow();
    expect(db.dump('orders')).toEqual([{ _id: 'o1' }]);
    expect(tmpFiles()).toEqual([]);
  });

  it('removes temporary files left by an interrupted write and loads the last complete file', async () => {
    const db = createMemoryDatabase({ dir });
    await db.collection('orders').add({ data: { _id: 'o1' } });
    fs.writeFileSync(path.join(dir, '.orders.json.999.1.tmp'), '[{"_id": "torn');
    const reopened = createMemoryDatabase({ dir });
    expect(reopened.dump('orders')).toEqual([{ _id: 'o1' }]);
    expect(tmpFiles()).toEqual([]);
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
    expect(fs.readdirSync(nested)).toEqual(['c.json']);
  });
});
