import { setTimeout as sleep } from 'node:timers/promises';
// Functions import the SDK by name (typed by cloudfunctions/common/wx-server-sdk.d.ts, mapped by jest to
// the stand-in); the local controls come from the stand-in's own path. Both must be one module.
import * as cloud from 'wx-server-sdk';
import type { Database } from '../../cloudfunctions/common/db/types';
import * as local from '../../scripts/local-host/wx-server-sdk';

// How a cloud function uses the SDK: init and the database handle at module load, before any host
// or test has installed its database.
cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
const db: Database = cloud.database();

/** A tiny cloud function: records an order for whoever calls it. */
async function placeOrder(event: { amountFen: number }): Promise<{ _id: string; openid: string }> {
  const { OPENID } = cloud.getWXContext();
  await sleep(Math.floor(Math.random() * 5));
  const { _id } = await db.collection('orders').add({ data: { _openid: OPENID, amountFen: event.amountFen } });
  await sleep(Math.floor(Math.random() * 5));
  return { _id, openid: cloud.getWXContext().OPENID ?? '' };
}

beforeEach(() => {
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
  local.useDatabase(local.createMemoryDatabase());
});

describe('module shape', () => {
  it("jest's 'wx-server-sdk' is the stand-in module itself", () => {
    expect(cloud.database).toBe(local.database);
    expect(cloud.getWXContext).toBe(local.getWXContext);
  });

  it('DYNAMIC_CURRENT_ENV is the registered symbol the real SDK uses', () => {
    expect(cloud.DYNAMIC_CURRENT_ENV).toBe(Symbol.for('DYNAMIC_CURRENT_ENV'));
  });

  it('ENV is "local" for the dynamic env (as in DevTools local debugging) or the env given to init', () => {
    expect(cloud.getWXContext().ENV).toBe('local');
    cloud.init({ env: 'prod-1a2b3c' });
    expect(cloud.getWXContext().ENV).toBe('prod-1a2b3c');
    cloud.init({ env: { functions: 'fn-env', database: 'db-env' } });
    expect(cloud.getWXContext().ENV).toBe('fn-env');
    cloud.init();
    expect(cloud.getWXContext().ENV).toBe('local');
  });

  it('database() handles taken before useDatabase() use the database installed later', async () => {
    const first = local.createMemoryDatabase();
    local.useDatabase(first);
    await db.collection('orders').add({ data: { _id: 'in-first' } });
    const second = local.createMemoryDatabase();
    local.useDatabase(second);
    await db.collection('orders').add({ data: { _id: 'in-second' } });
    expect(first.dump('orders').map((d) => d._id)).toEqual(['in-first']);
    expect(second.dump('orders').map((d) => d._id)).toEqual(['in-second']);
    expect(local.dumpCollection('orders')).toEqual([{ _id: 'in-second' }]);
    expect(local.listCollections()).toEqual(['orders']);
  });

  it('dumpCollection returns a snapshot the caller cannot use to change the store', async () => {
    await db.collection('orders').add({ data: { _id: 'o', n: 1 } });
    local.dumpCollection('orders')[0].n = 2;
    expect((await db.collection('orders').doc('o').get()).data.n).toBe(1);
  });
});

describe('getWXContext', () => {
  it('outside any invocation has no user', () => {
    expect(cloud.getWXContext()).toEqual({ OPENID: '', APPID: '', ENV: 'local', SOURCE: 'wx_unknown' });
  });

  it('inside runWithContext reports the caller, wx_client for a user call, UNIONID only when given', () => {
    const ctx = local.runWithContext({ OPENID: 'o-1', APPID: 'wxapp' }, () => cloud.getWXContext());
    expect(ctx).toEqual({ OPENID: 'o-1', APPID: 'wxapp', ENV: 'local', SOURCE: 'wx_client' });
    expect(local.runWithContext({}, () => local.getWXContext().SOURCE)).toBe('wx_unknown');
    const withUnion = local.runWithContext({ OPENID: 'o-2', APPID: 'wxapp', UNIONID: 'u-2', SOURCE: 'wx_http' }, () => cloud.getWXContext());
    expect(withUnion).toMatchObject({ UNIONID: 'u-2', SOURCE: 'wx_http' });
  });

  it('keeps concurrent invocations apart across awaits and database calls', async () => {
    const users = Array.from({ length: 25 }, (_x, i) => `openid-${i}`);
    const results = await Promise.all(
      users.map((OPENID, i) => local.runWithContext({ OPENID, APPID: 'wxapp' }, () => placeOrder({ amountFen: 100 + i }))),
    );
    results.forEach((r, i) => expect(r.openid).toBe(users[i]));
    const stored = local.dumpCollection('orders');
    for (const [i, OPENID] of users.entries()) {
      expect(stored.find((d) => d._id === results[i]._id)).toMatchObject({ _openid: OPENID, amountFen: 100 + i });
    }
    expect(cloud.getWXContext().OPENID).toBe('');
  });

  it('a nested runWithContext sees its own caller and the outer one is restored after it', async () => {
    await local.runWithContext({ OPENID: 'outer' }, async () => {
      await local.runWithContext({ OPENID: 'inner' }, async () => {
        await sleep(1);
        expect(cloud.getWXContext().OPENID).toBe('inner');
      });
      expect(cloud.getWXContext().OPENID).toBe('outer');
    });
  });

  it('the caller object is copied: changing it afterwards does not change the invocation', () => {
    const caller = { OPENID: 'a' };
    local.runWithContext(caller, () => {
      caller.OPENID = 'b';
      expect(cloud.getWXContext().OPENID).toBe('a');
    });
  });
});
