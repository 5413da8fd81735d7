import { createMemoryDatabase, type LocalDatabase } from '../../scripts/local-host/wx-server-sdk';

/**
 * An index only narrows where a query looks: answers are the same with or without it, whatever the
 * field holds (arrays, nested values, mixed types, missing fields, Dates).
 */

const values = [1, 2, '1', '2', true, false, null, new Date(5), [1, '2'], [], { x: 1 }, undefined];
const pick = (i: number) => values[(i * 7 + 3) % values.length];

async function fill(db: LocalDatabase): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const doc: Record<string, unknown> = { _id: `d${i}`, i };
    for (const [k, v] of [
      ['f', pick(i)],
      ['g', pick(i + 5)],
    ] as const) {
      if (v !== undefined) doc[k] = v;
    }
    doc.nested = { f: pick(i + 2) ?? null };
    doc.items = [{ sku: pick(i + 1) ?? null }, { sku: pick(i + 4) ?? null }];
    await db.collection('c').add({ data: doc });
  }
  await db.collection('c').where({ i: db.command.lt(10) }).update({ data: { f: 'changed' } });
  // Updates that keep some indexed values and change others (array elements, nested fields, the same
  // value under another type): only the changed entries are rewritten, and the answers must not tell.
  await db.collection('c').where({ i: db.command.gte(50) }).update({ data: { items: [{ sku: 1 }, { sku: 'new' }], nested: { f: 2 }, g: '2' } });
  await db.collection('c').doc('d20').update({ data: { items: [{ sku: true }, { sku: 1 }], f: db.command.remove() } });
  await db.collection('c').doc('d11').remove();
}

describe('indexed queries', () => {
  const indexed = createMemoryDatabase({ indexes: { c: ['f', 'g', 'nested.f', 'items.sku'] } });
  const plain = createMemoryDatabase({ indexes: {} });
  beforeAll(async () => {
    await fill(indexed);
    await fill(plain);
  });

  const _ = indexed.command;
  const conditions: [string, () => object][] = [];
  for (const v of values.filter((x) => x !== undefined)) {
    conditions.push([`f = ${JSON.stringify(v)}`, () => ({ f: v })]);
    conditions.push([`f _.eq ${JSON.stringify(v)}`, () => ({ f: _.eq(v) })]);
    conditions.push([`nested.f = ${JSON.stringify(v)}`, () => ({ nested: { f: v } })]);
    conditions.push([`'items.sku' = ${JSON.stringify(v)}`, () => ({ 'items.sku': v })]);
  }
  conditions.push(['f in [1, "2", true]', () => ({ f: _.in([1, '2', true]) })]);
  conditions.push(['f = "changed" and g = 2', () => ({ f: 'changed', g: 2 })]);
  conditions.push(['f = 1 and g neq 2', () => ({ f: 1, g: _.neq(2) })]);
  conditions.push(['_id in […] and f = 1', () => ({ _id: _.in(['d1', 'd2', 'd13', 'nope']), f: 1 })]);

  it.each(conditions)('%s', async (_name, cond) => {
    const a = await indexed.collection('c').where(cond()).limit(1000).get();
    const b = await plain.collection('c').where(cond()).limit(1000).get();
    expect(a.data).toEqual(b.data);
    expect((await indexed.collection('c').where(cond()).count()).total).toBe(b.data.length);
  });

  it('the comparison is not empty: indexed lookups do find documents', async () => {
    expect((await indexed.collection('c').where({ f: 1 }).get()).data.length).toBeGreaterThan(0);
    expect((await indexed.collection('c').where({ 'items.sku': '2' }).get()).data.length).toBeGreaterThan(0);
  });
});
