import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { config as clientConfig } from '../../miniprogram/config';

/**
 * Throwaway merchant material for the sandbox: generated once under SANDBOX_DIR/keys and reused, so
 * orders placed before a restart stay payable. Never used against the real platform.
 */
export interface SandboxKeys {
  appid: string;
  wxpayMchid: string;
  certSerial: string;
  merchantPrivateKeyPath: string;
  merchantPublicKey: crypto.KeyObject;
  apiV3Key: string;
  platformPublicKeyId: string;
  platformPublicKeyPath: string;
  platformPrivateKey: crypto.KeyObject;
  v2Key: string;
  payjsMchid: string;
  payjsKey: string;
}

const randomHex = (bytes: number) => crypto.randomBytes(bytes).toString('hex');
const randomAlnum = (n: number) => crypto.randomBytes(n).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(n, '0').slice(0, n);

function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function loadOrCreateSandboxKeys(sandboxDir: string): SandboxKeys {
  const dir = path.join(sandboxDir, 'keys');
  fs.mkdirSync(dir, { recursive: true });
  const idsFile = path.join(dir, 'ids.json');
  const merchantKeyPath = path.join(dir, 'merchant_private_key.pem');
  const platformPubPath = path.join(dir, 'wxpay_public_key.pem');
  const platformKeyPath = path.join(dir, 'wxpay_platform_private_key.pem');
  if (!fs.existsSync(idsFile)) {
    const gen = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const merchant = gen();
    const platform = gen();
    writeAtomic(merchantKeyPath, merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    writeAtomic(platformKeyPath, platform.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    writeAtomic(platformPubPath, platform.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const ids = {
      appid: `wx${randomHex(8)}`,
      wxpayMchid: `19${String(crypto.randomInt(10_000_000, 99_999_999))}`,
      certSerial: randomHex(20).toUpperCase(),
      apiV3Key: randomAlnum(32),
      platformPublicKeyId: `PUB_KEY_ID_01${String(crypto.randomInt(1e9, 1e10 - 1))}${randomHex(6).toUpperCase()}`,
      v2Key: randomAlnum(32),
      payjsMchid: String(crypto.randomInt(1_500_000_000, 1_599_999_999)),
      payjsKey: randomAlnum(16),
    };
    writeAtomic(idsFile, JSON.stringify(ids, null, 2));
  }
  const ids = JSON.parse(fs.readFileSync(idsFile, 'utf8'));
  const merchantPrivate = crypto.createPrivateKey(fs.readFileSync(merchantKeyPath));
  return {
    ...ids,
    merchantPrivateKeyPath: merchantKeyPath,
    merchantPublicKey: crypto.createPublicKey(merchantPrivate),
    platformPublicKeyPath: platformPubPath,
    platformPrivateKey: crypto.createPrivateKey(fs.readFileSync(platformKeyPath)),
  };
}

/**
 * Fills in the sandbox configuration for every variable the user did not set: with no WXPAY_MCHID, the
 * functions talk to the local WeChat Pay emulator with the throwaway keys; likewise PAYJS. Explicit
 * variables always win. Returns which providers run on sandbox defaults.
 */
export function applySandboxDefaults(env: NodeJS.ProcessEnv, keys: SandboxKeys, baseUrl: string): { wxpay: boolean; payjs: boolean } {
  const setDefault = (name: string, value: string) => {
    if (env[name] === undefined || env[name] === '') env[name] = value;
  };
  const notifyUrl = `${baseUrl}/http/payNotify`;
  const wxpay = !env.WXPAY_MCHID;
  if (wxpay) {
    setDefault('WXPAY_MCHID', keys.wxpayMchid);
    setDefault('WXPAY_APPID', keys.appid);
    setDefault('WXPAY_API_BASE', baseUrl);
    setDefault('WXPAY_PRIVATE_KEY_PATH', keys.merchantPrivateKeyPath);
    setDefault('WXPAY_CERT_SERIAL', keys.certSerial);
    setDefault('WXPAY_API_V3_KEY', keys.apiV3Key);
    setDefault('WXPAY_PLATFORM_PUBLIC_KEY_PATH', keys.platformPublicKeyPath);
    setDefault('WXPAY_PLATFORM_PUBLIC_KEY_ID', keys.platformPublicKeyId);
    setDefault('WXPAY_V2_KEY', keys.v2Key);
  }
  setDefault('WXPAY_NOTIFY_URL', notifyUrl);
  const payjs = !env.PAYJS_MCHID;
  if (payjs) {
    setDefault('PAYJS_MCHID', keys.payjsMchid);
    setDefault('PAYJS_KEY', keys.payjsKey);
    setDefault('PAYJS_API_BASE', `${baseUrl}/payjs`);
  }
  setDefault('PAYJS_NOTIFY_URL', notifyUrl);
  // The mini-program's local-mode identity is the sandbox's merchant, so its merchant pages work at once.
  setDefault('MERCHANT_OPENIDS', clientConfig.localOpenId);
  return { wxpay, payjs };
}
