import type * as Sdk from '../../scripts/local-host/wx-server-sdk';
import type { LocalDatabase } from '../../scripts/local-host/wx-server-sdk';

/** The deployed entry points (index.ts), loaded with a v2 configuration and a database that counts its use. */
const ENV = {
  WXPAY_MCHID: '1900000109',
  WXPAY_APPID: 'wx0123456789abcdef',
  WXPAY_API_VERSION: 'v2',
  WXPAY_V2_KEY: '192006250b4c09247ec02edce69f6a2d',
  WXPAY_NOTIFY_URL: 'https://example.com/payNotify',
  WXPAY_API_BASE: 'http://127.0.0.1:9',
};

let collections = 0;
function countingDatabase(): LocalDatabase {
  const db = sdk.createMemoryDatabase();
  return { ...db, command: db.command, collection: (name: string) => (collections++, db.collection(name)), dump: db.dump, collectionNames: db.collectionNames } as LocalDatabase;
}

type Main = (event: unknown) => Promise<any>;
let checkout: Main;
let payNotify: Main;
// The entries' own copy of the stand-in (isolated module registry): contexts and database go through it.
let sdk: typeof Sdk;
const runWithContext = <T>(ctx: Sdk.CallerContext, fn: () => T) => sdk.runWithContext(ctx, fn);

beforeAll(() => {
  Object.assign(process.env, ENV);
  jest.isolateModules(() => {
    sdk = require('wx-server-sdk');
    sdk.useDatabase(countingDatabase());
    checkout = require('../../cloudfunctions/checkout/src/index').main;
    payNotify = require('../../cloudfunctions/payNotify/src/index').main;
  });
});
afterAll(() => {
  for (const k of Object.keys(ENV)) delete process.env[k];
});

const TIMER = { Type: 'Timer', TriggerName: 'closeExpiredOrders', Time: '2026-01-01T00:00:00Z' };

describe('checkout: the timer run', () => {
  it('runs only for the timer trigger (SOURCE wx_trigger)', async () => {
    expect(await runWithContext({ SOURCE: 'wx_trigger' }, () => checkout(TIMER))).toMatchObject({ ok: true, data: { closed: 0 } });
  });

  it('is refused to any other caller without an identity that sends the timer event', async () => {
    for (const SOURCE of ['wx_http', 'scf', 'wx_unknown', 'wx_trigger,scf', 'WX_TRIGGER']) {
      const r = await runWithContext({ SOURCE }, () => checkout(TIMER));
      expect(r).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    }
  });
});

describe('payNotify: body cap', () => {
  const xml = (size: number) => `<xml><out_trade_no>T${'1'.repeat(20)}</out_trade_no><pad>${'x'.repeat(size)}</pad></xml>`;

  it('refuses a body over 64 KB with 413 before parsing it or reading the database', async () => {
    for (const isBase64Encoded of [false, true]) {
      collections = 0;
      const raw = xml(70 * 1024);
      const body = isBase64Encoded ? Buffer.from(raw).toString('base64') : raw;
      const reply = await runWithContext({ SOURCE: 'wx_http' }, () => payNotify({ httpMethod: 'POST', path: '/payNotify', headers: { 'content-type': 'text/xml' }, body, isBase64Encoded }));
      expect(reply.statusCode).toBe(413);
      expect(collections).toBe(0);
    }
  });

  it('still reads a body under the cap (refused for its signature, not its size)', async () => {
    const reply = await runWithContext({ SOURCE: 'wx_http' }, () => payNotify({ httpMethod: 'POST', path: '/payNotify', headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml(60 * 1024)).toString('base64'), isBase64Encoded: true }));
    expect(reply.statusCode).not.toBe(413);
    expect(reply.statusCode).toBeGreaterThanOrEqual(400);
  });
});
