import { ProviderError, TIME_EXPIRE_TOO_CLOSE } from '../../cloudfunctions/common/errors';
import { V3_TIME_EXPIRE_MARGIN_MS, WxPayV3Gateway } from '../../cloudfunctions/common/wxpay/v3/gateway';
import { Faults } from '../../scripts/local-host/emulators/faults';
import { createWxPayV3Emulator } from '../../scripts/local-host/emulators/wxpay-v3';
import { makeV3Keys } from '../helpers/wxpay-keys';
import { serveEmulator, type Served } from '../helpers/loopback';
import { testNotifier } from '../wxpay-v3/loopback';

/**
 * WeChat Pay extends a too-close time_expire to one minute after it places the trade, so no attempt
 * to place one starts within 90 s of the order's expiry, retries included (issue 11, item 3).
 */
const keys = makeV3Keys();
let api: Served;
// Our clock: each request the emulator receives moves it 30 s on (slow retries, condensed).
let offset = 0;
const clock = () => Date.now() + offset;
const emulator = createWxPayV3Emulator({
  merchant: { mchid: keys.merchant.mchid, appid: keys.merchant.appid, certSerial: keys.merchant.certSerial, publicKey: keys.merchant.publicKey, apiV3Key: keys.merchant.apiV3Key },
  platform: { publicKeyId: keys.platform.publicKeyId, privateKey: keys.platform.privateKey },
  notifier: testNotifier(),
  faults: new Faults(),
  now: clock,
});

beforeAll(async () => {
  api = await serveEmulator(async (req) => {
    const reply = await emulator.handle(req);
    offset += 30_000;
    return reply;
  });
});
afterAll(() => api.close());

const gateway = () => new WxPayV3Gateway(keys.config(api.url), { retry: { attempts: 3, firstDelayMs: 1 }, timeoutMs: 2000, now: clock });
const placements = () => emulator.received.filter((r) => r.path.endsWith('/jsapi')).length;
const busy = { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"code":"SYSTEM_ERROR","message":"busy"}' };
const order = (expiresAt: number) => ({ outTradeNo: `M${Date.now()}${Math.floor(Math.random() * 1e6)}`, description: 'x', amountFen: 1, expiresAt, notifyUrl: 'https://example.com/n', tradeType: 'JSAPI' as const, openid: 'o1' });

it('is 90 s', () => {
  expect(V3_TIME_EXPIRE_MARGIN_MS).toBeGreaterThanOrEqual(90_000);
});

it('a retry that would start inside the margin is not sent', async () => {
  offset = 0;
  const before = placements();
  emulator.faults.add({ pathIncludes: '/jsapi', kind: 'reply', reply: busy, times: 2 });
  // 100 s left at the first attempt; 70 s at the second.
  const err = await gateway().prepay(order(clock() + 100_000)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect((err as ProviderError).providerCode).toBe(TIME_EXPIRE_TOO_CLOSE);
  expect(placements() - before).toBe(1);
  emulator.faults.clear();
});

it('retries that stay outside the margin go on and place the trade', async () => {
  offset = 0;
  const before = placements();
  emulator.faults.add({ pathIncludes: '/jsapi', kind: 'reply', reply: busy, times: 2 });
  expect(await gateway().prepay(order(clock() + 600_000))).toMatchObject({ tradeType: 'JSAPI', prepayId: expect.any(String) });
  expect(placements() - before).toBe(3);
});
