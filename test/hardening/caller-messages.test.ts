import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { handleCheckout, handleTimer } from '../../cloudfunctions/checkout/src/handler';
import { AppError, ProviderError, toApiError } from '../../cloudfunctions/common/errors';
import { startContext } from '../../cloudfunctions/common/start';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';

/** What a caller sees of internal problems: the code and a sentence; the details only in the log. */

const V3 = {
  WXPAY_MCHID: '1900000109',
  WXPAY_APPID: 'wx0123456789abcdef',
  WXPAY_NOTIFY_URL: 'https://example.com/payNotify',
  WXPAY_API_V3_KEY: 'a'.repeat(32),
  WXPAY_CERT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
};

function logsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; log: string }> {
  const spy = jest.spyOn(console, 'error');
  return fn()
    .then((value) => ({ value, log: spy.mock.calls.flat().map(String).join('\n') }))
    .finally(() => spy.mockRestore());
}

describe('configuration errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  const badKey = path.join(dir, 'apiclient_key.pem');
  fs.writeFileSync(badKey, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: [string, Record<string, string>, string[]][] = [
    ['an unreadable key path', { ...V3, WXPAY_PRIVATE_KEY_PATH: '/secret/place/apiclient_key.pem' }, ['/secret/place', 'ENOENT']],
    ['a key OpenSSL cannot read', { ...V3, WXPAY_PRIVATE_KEY_PATH: badKey }, ['DECODER routines']],
    ['a bad value', { ...V3, WXPAY_APPID: 'wx-my-real-appid-9' }, ['wx-my-real-appid-9']],
  ];

  it.each(cases)('%s: callers get CONFIG_ERROR and a generic message, the log gets the details', async (_name, env, secrets) => {
    const { value: ctx, log: startLog } = await logsDuring(async () => startContext(createMemoryDatabase(), env, dir));
    expect(ctx).toBeInstanceOf(AppError);
    for (const s of secrets.filter((x) => x !== 'ENOENT')) expect(startLog).toContain(s);
    const { value: answers, log } = await logsDuring(async () => [await handleCheckout({ action: 'listProducts' }, 'someone', ctx), await handleTimer(ctx)]);
    for (const r of answers) {
      expect(r).toMatchObject({ ok: false, error: { code: 'CONFIG_ERROR' } });
      const text = JSON.stringify(r);
      for (const s of [...secrets, 'WXPAY_', 'PEM', 'routines']) expect(text).not.toContain(s);
    }
    expect(log).toContain('CONFIG_ERROR');
  });
});

describe('provider errors', () => {
  it('callers get PROVIDER_ERROR without the provider message; the log keeps it', async () => {
    const err = new ProviderError('WeChat Pay refused the request (PARAM_ERROR): appid和mch_id不匹配 mchid=1900000109', 'PARAM_ERROR');
    const { value, log } = await logsDuring(async () => toApiError(err));
    expect(value.code).toBe('PROVIDER_ERROR');
    expect(value.message).not.toMatch(/PARAM_ERROR|appid|1900000109/);
    expect(log).toContain('appid和mch_id不匹配');
  });

  it('other codes keep their caller-facing message', () => {
    expect(toApiError(new AppError('OUT_OF_STOCK', 'Only 2 left of Filter papers.'))).toEqual({ code: 'OUT_OF_STOCK', message: 'Only 2 left of Filter papers.' });
    expect(toApiError(new Error('db exploded at /var/x'))).toEqual({ code: 'INTERNAL', message: expect.not.stringContaining('/var/x') });
  });
});
