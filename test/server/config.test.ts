import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../cloudfunctions/common/config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
const merchant = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const platform = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
fs.writeFileSync(path.join(dir, 'apiclient_key.pem'), merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }));
fs.writeFileSync(path.join(dir, 'pub_key.pem'), platform.publicKey.export({ type: 'spki', format: 'pem' }));

const v3: Record<string, string> = {
  WXPAY_MCHID: '1900000109',
  WXPAY_APPID: 'wx0123456789abcdef',
  WXPAY_PRIVATE_KEY_PATH: 'apiclient_key.pem',
  WXPAY_CERT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
  WXPAY_API_V3_KEY: 'a'.repeat(32),
  WXPAY_PLATFORM_PUBLIC_KEY_PATH: 'pub_key.pem',
  WXPAY_PLATFORM_PUBLIC_KEY_ID: 'PUB_KEY_ID_0114232134912410000000000000',
  WXPAY_NOTIFY_URL: 'https://example.com/payNotify',
};

function problem(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env, dir);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads a complete v3 configuration, with keys relative to the function folder', () => {
    const c = loadConfig(v3, dir);
    expect(c.wxpay?.version).toBe('v3');
    expect(c.wxpay?.apiBase).toBe('https://api.mch.weixin.qq.com');
    expect(c.orderTtlSeconds).toBe(1800);
    if (c.wxpay?.version !== 'v3') throw new Error('v3 expected');
    expect([...c.wxpay.platformKeys.keys()]).toEqual(['PUB_KEY_ID_0114232134912410000000000000']);
    expect(c.payjs).toBeUndefined();
  });

  it('accepts the private key inline, with the literal \\n a console may produce', () => {
    const pem = merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/\n/g, '\\n');
    const c = loadConfig({ ...v3, WXPAY_PRIVATE_KEY_PATH: undefined, WXPAY_PRIVATE_KEY: pem }, dir);
    expect(c.wxpay?.version).toBe('v3');
  });

  it.each([
    [{ WXPAY_MCHID: undefined }, 'WXPAY_MCHID'],
    [{ WXPAY_APPID: undefined }, 'WXPAY_APPID'],
    [{ WXPAY_APPID: 'not-an-appid' }, 'WXPAY_APPID'],
    [{ WXPAY_MCHID: '12ab' }, 'WXPAY_MCHID'],
    [{ WXPAY_API_VERSION: 'v4' }, 'WXPAY_API_VERSION'],
    [{ WXPAY_API_V3_KEY: 'short' }, 'WXPAY_API_V3_KEY'],
    [{ WXPAY_CERT_SERIAL: undefined }, 'WXPAY_CERT_SERIAL'],
    [{ WXPAY_PRIVATE_KEY_PATH: undefined }, 'WXPAY_PRIVATE_KEY_PATH'],
    [{ WXPAY_PRIVATE_KEY_PATH: 'missing.pem' }, 'WXPAY_PRIVATE_KEY_PATH'],
    [{ WXPAY_PRIVATE_KEY_PATH: 'pub_key.pem' }, 'WXPAY_PRIVATE_KEY_PATH'],
    [{ WXPAY_PLATFORM_PUBLIC_KEY_ID: undefined }, 'WXPAY_PLATFORM_PUBLIC_KEY_ID'],
    [{ WXPAY_PLATFORM_PUBLIC_KEY_ID: 'KEY_1' }, 'WXPAY_PLATFORM_PUBLIC_KEY_ID'],
    [{ WXPAY_PLATFORM_PUBLIC_KEY_PATH: undefined, WXPAY_PLATFORM_PUBLIC_KEY_ID: undefined }, 'WXPAY_PLATFORM_PUBLIC_KEY_PATH'],
    [{ WXPAY_PLATFORM_CERT_PATH: 'pub_key.pem' }, 'WXPAY_PLATFORM_CERT_PATH'],
    [{ WXPAY_NOTIFY_URL: undefined }, 'WXPAY_NOTIFY_URL'],
    [{ WXPAY_NOTIFY_URL: 'http://example.com/notify' }, 'WXPAY_NOTIFY_URL'],
    [{ WXPAY_NOTIFY_URL: 'https://example.com/notify?x=1' }, 'WXPAY_NOTIFY_URL'],
    [{ WXPAY_API_BASE: 'ftp://x' }, 'WXPAY_API_BASE'],
    [{ ORDER_TTL_SECONDS: '300' }, 'ORDER_TTL_SECONDS'],
    [{ ORDER_TTL_SECONDS: '1.5e3' }, 'ORDER_TTL_SECONDS'],
  ])('names the bad variable: %j → %s', (patch, variable) => {
    const e = problem({ ...v3, ...patch });
    expect(e.variable).toBe(variable);
    expect(e.code).toBe('CONFIG_ERROR');
    expect(e.message).toContain(variable);
  });

  it('validates v2 on its own variables', () => {
    const v2 = { WXPAY_API_VERSION: 'v2', WXPAY_MCHID: '1900000109', WXPAY_APPID: 'wx0123456789abcdef', WXPAY_NOTIFY_URL: 'http://127.0.0.1:8787/http/payNotify' };
    expect(problem(v2).variable).toBe('WXPAY_V2_KEY');
    expect(problem({ ...v2, WXPAY_V2_KEY: 'k'.repeat(32), WXPAY_V2_SIGN_TYPE: 'SHA1' }).variable).toBe('WXPAY_V2_SIGN_TYPE');
    const c = loadConfig({ ...v2, WXPAY_V2_KEY: 'k'.repeat(32) }, dir);
    expect(c.wxpay).toMatchObject({ version: 'v2', signType: 'MD5' });
  });

  it('requires at least one payment method, and validates PAYJS when present', () => {
    expect(problem({}).variable).toBe('WXPAY_MCHID');
    expect(problem({ PAYJS_MCHID: '1234' }).variable).toBe('PAYJS_KEY');
    expect(problem({ PAYJS_MCHID: '1234', PAYJS_KEY: 'k' }).variable).toBe('PAYJS_NOTIFY_URL');
    const c = loadConfig({ PAYJS_MCHID: '1234', PAYJS_KEY: 'k', PAYJS_NOTIFY_URL: 'https://example.com/n' }, dir);
    expect(c.payjs?.apiBase).toBe('https://payjs.cn');
    expect(c.wxpay).toBeUndefined();
  });
});
