import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { ConfigError, loadConfig, type WxPayV2Config } from '../../cloudfunctions/common/config';
import { makeTlsFixture } from '../wxpay-v2/tls';

/** The refund variables: WXPAY_V2_CERT_PATH + WXPAY_V2_CERT_KEY_PATH, WXPAY_REFUND_NOTIFY_URL, WXPAY_API_CA_PATH. */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refund-cfg-'));
const fixture = makeTlsFixture();
fs.writeFileSync(path.join(dir, 'apiclient_cert.pem'), fixture.client.cert);
fs.writeFileSync(path.join(dir, 'apiclient_key.pem'), fixture.client.key);
fs.writeFileSync(path.join(dir, 'ca.pem'), fixture.ca);
fs.writeFileSync(path.join(dir, 'not-a-cert.pem'), 'hello');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const v2: Record<string, string | undefined> = {
  WXPAY_MCHID: '1900000109',
  WXPAY_APPID: 'wx0123456789abcdef',
  WXPAY_API_VERSION: 'v2',
  WXPAY_V2_KEY: 'a'.repeat(32),
  WXPAY_NOTIFY_URL: 'https://example.com/payNotify',
};
const v2Of = (env: Record<string, string | undefined>) => loadConfig(env, dir).wxpay as WxPayV2Config;

function problem(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env, dir);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

it('the v2 certificate pair is read together; without both there is none', () => {
  expect(v2Of({ ...v2, WXPAY_V2_CERT_PATH: 'apiclient_cert.pem', WXPAY_V2_CERT_KEY_PATH: 'apiclient_key.pem' }).clientCert).toEqual(fixture.client);
  expect(v2Of(v2).clientCert).toBeUndefined();
});

it('one of the pair without the other names the missing one', () => {
  expect(problem({ ...v2, WXPAY_V2_CERT_PATH: 'apiclient_cert.pem' }).variable).toBe('WXPAY_V2_CERT_KEY_PATH');
  expect(problem({ ...v2, WXPAY_V2_CERT_KEY_PATH: 'apiclient_key.pem' }).variable).toBe('WXPAY_V2_CERT_PATH');
});

it('a file that is not PEM, or cannot be read, names its variable', () => {
  expect(problem({ ...v2, WXPAY_V2_CERT_PATH: 'not-a-cert.pem', WXPAY_V2_CERT_KEY_PATH: 'apiclient_key.pem' }).variable).toBe('WXPAY_V2_CERT_PATH');
  expect(problem({ ...v2, WXPAY_V2_CERT_PATH: 'apiclient_cert.pem', WXPAY_V2_CERT_KEY_PATH: 'not-a-cert.pem' }).variable).toBe('WXPAY_V2_CERT_KEY_PATH');
  expect(problem({ ...v2, WXPAY_V2_CERT_PATH: 'missing.pem', WXPAY_V2_CERT_KEY_PATH: 'apiclient_key.pem' }).message).toMatch(/WXPAY_V2_CERT_PATH points to .*missing\.pem/);
});

it('WXPAY_REFUND_NOTIFY_URL defaults to WXPAY_NOTIFY_URL and is checked like it', () => {
  expect(v2Of(v2).refundNotifyUrl).toBe('https://example.com/payNotify');
  expect(v2Of({ ...v2, WXPAY_REFUND_NOTIFY_URL: 'https://example.com/refundNotify/' }).refundNotifyUrl).toBe('https://example.com/refundNotify');
  expect(problem({ ...v2, WXPAY_REFUND_NOTIFY_URL: 'http://example.com/refundNotify' }).variable).toBe('WXPAY_REFUND_NOTIFY_URL');
  expect(problem({ ...v2, WXPAY_REFUND_NOTIFY_URL: 'https://example.com/r?x=1' }).variable).toBe('WXPAY_REFUND_NOTIFY_URL');
});

it('WXPAY_API_CA_PATH adds a CA to the usual roots (they stay trusted)', () => {
  const ca = v2Of({ ...v2, WXPAY_API_CA_PATH: 'ca.pem' }).apiCa ?? '';
  expect(ca).toContain(fixture.ca.trim());
  expect(ca).toContain(tls.rootCertificates[0]);
  expect(v2Of(v2).apiCa).toBeUndefined();
  expect(problem({ ...v2, WXPAY_API_CA_PATH: 'not-a-cert.pem' }).variable).toBe('WXPAY_API_CA_PATH');
});
