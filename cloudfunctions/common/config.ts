import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError } from './errors';
import type { PlatformKey } from './wxpay/v3/verify';

/**
 * All configuration comes from environment variables (the same names in the cloud console and
 * locally). `loadConfig` validates everything at start and names the variable that is missing or bad.
 */

export type V2SignType = 'MD5' | 'HMAC-SHA256';

export interface WxPayCommon {
  appid: string;
  mchid: string;
  apiBase: string;
  notifyUrl: string;
  /** Where refund notifications go (WXPAY_REFUND_NOTIFY_URL; loadConfig defaults it to WXPAY_NOTIFY_URL). */
  refundNotifyUrl?: string;
  /** WXPAY_API_CA_PATH: the trusted CAs for WXPAY_API_BASE (the usual roots plus that one); for sandbox/test proxies only. */
  apiCa?: string;
}

export interface WxPayV3Config extends WxPayCommon {
  version: 'v3';
  /** Merchant API private key (signs requests and paySign). */
  privateKey: crypto.KeyObject;
  /** Serial number of the merchant API certificate (`serial_no` in Authorization). */
  certSerial: string;
  /** APIv3 key: 32 bytes, decrypts notification resources. */
  apiV3Key: Buffer;
  /**
   * WeChat Pay verification keys by `Wechatpay-Serial`: public keys by `PUB_KEY_ID_…`, platform
   * certificates (kept whole: their validity dates are checked) by serial.
   */
  platformKeys: Map<string, PlatformKey>;
}

export interface WxPayV2Config extends WxPayCommon {
  version: 'v2';
  key: string;
  signType: V2SignType;
  /** The merchant API certificate and its key (PEM) for mutual TLS; refunds need them. */
  clientCert?: { cert: string; key: string };
}

export type WxPayConfig = WxPayV3Config | WxPayV2Config;

export interface PayjsConfig {
  mchid: string;
  key: string;
  apiBase: string;
  notifyUrl: string;
}

export interface Config {
  /** Undefined when WeChat Pay is not configured (no WXPAY_MCHID). */
  wxpay?: WxPayConfig;
  /** Undefined when PAYJS is not configured (no PAYJS_MCHID). */
  payjs?: PayjsConfig;
  orderTtlSeconds: number;
  /** Unpaid orders one user may hold at once (each holds stock until it expires). */
  maxPendingOrders: number;
  /** The merchant's staff: OPENIDs allowed to call the `merchant` function (MERCHANT_OPENIDS). */
  merchantOpenids: ReadonlySet<string>;
  /** Refund a payment that lands on a closed order in full without anyone asking (default true). */
  autoRefundPaidAfterClose: boolean;
  /** SHIPPING_INFO_UPLOAD: false (`off`) for categories that need no 发货信息管理; shipping is still recorded. */
  shippingUpload: boolean;
}

export class ConfigError extends AppError {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super('CONFIG_ERROR', `Configuration error: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function get(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function required(env: Env, name: string, why = ''): string {
  const v = get(env, name);
  if (v === undefined) throw new ConfigError(name, `is not set${why}.`);
  return v;
}

function readFileVar(env: Env, name: string, baseDir: string): string {
  const p = path.resolve(baseDir, required(env, name));
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw new ConfigError(name, `points to ${p}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? e}).`);
  }
}

/** Accepts https URLs, and plain http only on loopback (the local host and its emulators). */
export function checkUrl(name: string, value: string, opts: { allowQuery: boolean }): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(name, `is not a valid URL: ${JSON.stringify(value)}.`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw new ConfigError(name, `must be an https URL (plain http is accepted only on 127.0.0.1): ${value}.`);
  }
  if (!opts.allowQuery && (u.search || u.hash)) throw new ConfigError(name, `must not carry a query string: ${value}.`);
  return value.replace(/\/+$/, '');
}

function privateKeyFrom(env: Env, baseDir: string): crypto.KeyObject {
  const inline = get(env, 'WXPAY_PRIVATE_KEY');
  const name = inline ? 'WXPAY_PRIVATE_KEY' : 'WXPAY_PRIVATE_KEY_PATH';
  if (!inline && !get(env, 'WXPAY_PRIVATE_KEY_PATH')) {
    throw new ConfigError('WXPAY_PRIVATE_KEY_PATH', 'is not set (nor WXPAY_PRIVATE_KEY): the merchant API private key (apiclient_key.pem) is required for v3.');
  }
  // Cloud consoles often turn newlines into literal "\n": accept both.
  const pem = inline ? inline.replace(/\\n/g, '\n') : readFileVar(env, 'WXPAY_PRIVATE_KEY_PATH', baseDir);
  try {
    const key = crypto.createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (e) {
    throw new ConfigError(name, `is not an RSA private key in PEM form (${(e as Error).message}).`);
  }
}

function platformKeysFrom(env: Env, baseDir: string): Map<string, PlatformKey> {
  const keys = new Map<string, PlatformKey>();
  const pubPath = get(env, 'WXPAY_PLATFORM_PUBLIC_KEY_PATH');
  const pubId = get(env, 'WXPAY_PLATFORM_PUBLIC_KEY_ID');
  if (pubPath || pubId) {
    if (!pubId) throw new ConfigError('WXPAY_PLATFORM_PUBLIC_KEY_ID', 'is not set; it goes with WXPAY_PLATFORM_PUBLIC_KEY_PATH (the id looks like PUB_KEY_ID_0114…).');
    if (!pubId.startsWith('PUB_KEY_ID_')) throw new ConfigError('WXPAY_PLATFORM_PUBLIC_KEY_ID', `must start with PUB_KEY_ID_: ${pubId}.`);
    const pem = readFileVar(env, 'WXPAY_PLATFORM_PUBLIC_KEY_PATH', baseDir);
    try {
      keys.set(pubId, crypto.createPublicKey(pem));
    } catch (e) {
      throw new ConfigError('WXPAY_PLATFORM_PUBLIC_KEY_PATH', `is not a public key in PEM form (${(e as Error).message}).`);
    }
  }
  const certPaths = get(env, 'WXPAY_PLATFORM_CERT_PATH');
  if (certPaths) {
    // Several certificates (comma-separated) cover a platform certificate rotation.
    for (const p of certPaths.split(',').map((s) => s.trim()).filter(Boolean)) {
      const file = path.resolve(baseDir, p);
      let cert: crypto.X509Certificate;
      try {
        cert = new crypto.X509Certificate(fs.readFileSync(file));
      } catch (e) {
        throw new ConfigError('WXPAY_PLATFORM_CERT_PATH', `has ${file}, which is not a readable X.509 certificate (${(e as Error).message}).`);
      }
      keys.set(cert.serialNumber.toUpperCase(), cert);
    }
  }
  if (keys.size === 0) {
    throw new ConfigError('WXPAY_PLATFORM_PUBLIC_KEY_PATH', 'is not set (nor WXPAY_PLATFORM_CERT_PATH): v3 needs a WeChat Pay public key or platform certificate to verify answers and notifications.');
  }
  return keys;
}

/** An extra CA for WXPAY_API_BASE (the local emulator's TLS listener): added to Node's roots, not replacing them. */
function apiCaFrom(env: Env, baseDir: string): string | undefined {
  if (!get(env, 'WXPAY_API_CA_PATH')) return undefined;
  const pem = readFileVar(env, 'WXPAY_API_CA_PATH', baseDir);
  try {
    new crypto.X509Certificate(pem);
  } catch (e) {
    throw new ConfigError('WXPAY_API_CA_PATH', `is not an X.509 certificate in PEM form (${(e as Error).message}).`);
  }
  // node:tls only here: most deployments never set this, and loading it costs start time.
  const { rootCertificates } = require('node:tls') as typeof import('node:tls');
  return [...rootCertificates, pem].join('\n');
}

/** The v2 merchant API certificate pair (mutual TLS for /secapi/…): both or neither. */
function clientCertFrom(env: Env, baseDir: string): WxPayV2Config['clientCert'] {
  const certSet = get(env, 'WXPAY_V2_CERT_PATH') !== undefined;
  const keySet = get(env, 'WXPAY_V2_CERT_KEY_PATH') !== undefined;
  if (!certSet && !keySet) return undefined;
  if (!certSet) throw new ConfigError('WXPAY_V2_CERT_PATH', 'is not set; it goes with WXPAY_V2_CERT_KEY_PATH (the merchant API certificate apiclient_cert.pem).');
  if (!keySet) throw new ConfigError('WXPAY_V2_CERT_KEY_PATH', 'is not set; it goes with WXPAY_V2_CERT_PATH (the merchant API certificate key apiclient_key.pem).');
  const cert = readFileVar(env, 'WXPAY_V2_CERT_PATH', baseDir);
  const key = readFileVar(env, 'WXPAY_V2_CERT_KEY_PATH', baseDir);
  try {
    new crypto.X509Certificate(cert);
  } catch (e) {
    throw new ConfigError('WXPAY_V2_CERT_PATH', `is not an X.509 certificate in PEM form (${(e as Error).message}); convert a .p12 with openssl pkcs12.`);
  }
  try {
    crypto.createPrivateKey(key);
  } catch (e) {
    throw new ConfigError('WXPAY_V2_CERT_KEY_PATH', `is not a private key in PEM form (${(e as Error).message}).`);
  }
  return { cert, key };
}

function wxpayFrom(env: Env, baseDir: string): WxPayConfig | undefined {
  if (!get(env, 'WXPAY_MCHID')) return undefined;
  const version = get(env, 'WXPAY_API_VERSION') ?? 'v3';
  if (version !== 'v3' && version !== 'v2') throw new ConfigError('WXPAY_API_VERSION', `must be v3 or v2, not ${JSON.stringify(version)}.`);
  const mchid = required(env, 'WXPAY_MCHID');
  if (!/^\d{8,12}$/.test(mchid)) throw new ConfigError('WXPAY_MCHID', `must be the merchant number (8–12 digits), not ${JSON.stringify(mchid)}.`);
  const appid = required(env, 'WXPAY_APPID', ' (the mini-program appid bound to the merchant)');
  if (!/^wx[0-9a-f]{16}$/.test(appid)) throw new ConfigError('WXPAY_APPID', `must look like wx followed by 16 hex digits, not ${JSON.stringify(appid)}.`);
  const notifyUrl = checkUrl('WXPAY_NOTIFY_URL', required(env, 'WXPAY_NOTIFY_URL', ' (the URL of the payNotify function)'), { allowQuery: false });
  const common: WxPayCommon = {
    appid,
    mchid,
    apiBase: checkUrl('WXPAY_API_BASE', get(env, 'WXPAY_API_BASE') ?? 'https://api.mch.weixin.qq.com', { allowQuery: false }),
    notifyUrl,
    refundNotifyUrl: checkUrl('WXPAY_REFUND_NOTIFY_URL', get(env, 'WXPAY_REFUND_NOTIFY_URL') ?? notifyUrl, { allowQuery: false }),
    apiCa: apiCaFrom(env, baseDir),
  };
  if (version === 'v2') {
    const key = required(env, 'WXPAY_V2_KEY', ' (the API v2 key from the merchant platform)');
    if (!/^[0-9A-Za-z]{32}$/.test(key)) throw new ConfigError('WXPAY_V2_KEY', 'must be 32 letters or digits.');
    const signType = get(env, 'WXPAY_V2_SIGN_TYPE') ?? 'MD5';
    if (signType !== 'MD5' && signType !== 'HMAC-SHA256') throw new ConfigError('WXPAY_V2_SIGN_TYPE', `must be MD5 or HMAC-SHA256, not ${JSON.stringify(signType)}.`);
    return { ...common, version, key, signType, clientCert: clientCertFrom(env, baseDir) };
  }
  const apiV3Key = required(env, 'WXPAY_API_V3_KEY', ' (the APIv3 key from the merchant platform)');
  if (Buffer.byteLength(apiV3Key) !== 32) throw new ConfigError('WXPAY_API_V3_KEY', `must be exactly 32 bytes (it is ${Buffer.byteLength(apiV3Key)}).`);
  const certSerial = required(env, 'WXPAY_CERT_SERIAL', ' (the serial number of the merchant API certificate)');
  if (!/^[0-9A-Fa-f]{8,64}$/.test(certSerial)) throw new ConfigError('WXPAY_CERT_SERIAL', 'must be the hexadecimal certificate serial number.');
  return {
    ...common,
    version,
    privateKey: privateKeyFrom(env, baseDir),
    certSerial: certSerial.toUpperCase(),
    apiV3Key: Buffer.from(apiV3Key, 'utf8'),
    platformKeys: platformKeysFrom(env, baseDir),
  };
}

function payjsFrom(env: Env): PayjsConfig | undefined {
  if (!get(env, 'PAYJS_MCHID')) return undefined;
  return {
    mchid: required(env, 'PAYJS_MCHID'),
    key: required(env, 'PAYJS_KEY', ' (the PAYJS communication key)'),
    apiBase: checkUrl('PAYJS_API_BASE', get(env, 'PAYJS_API_BASE') ?? 'https://payjs.cn', { allowQuery: false }),
    notifyUrl: checkUrl('PAYJS_NOTIFY_URL', required(env, 'PAYJS_NOTIFY_URL', ' (the URL of the payNotify function\'s PAYJS route)'), { allowQuery: false }),
  };
}

function merchantOpenidsFrom(env: Env): ReadonlySet<string> {
  const raw = get(env, 'MERCHANT_OPENIDS');
  const ids = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new ConfigError('MERCHANT_OPENIDS', `must be OPENIDs separated by commas (letters, digits, _ or -), not ${JSON.stringify(id)}.`);
  }
  return new Set(ids);
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = get(env, name);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(name, `must be true or false, not ${JSON.stringify(raw)}.`);
  return raw === 'true';
}

/**
 * Reads and validates the configuration. Relative key paths resolve against `baseDir` (the function's
 * folder in the cloud, where DevTools uploads the key files placed beside index.js).
 */
export function loadConfig(env: Env = process.env, baseDir: string = process.cwd()): Config {
  const ttlRaw = get(env, 'ORDER_TTL_SECONDS') ?? '1800';
  // At least 6 minutes: WeChat Pay v2 wants 5 minutes between placing a trade and its time_expire.
  if (!/^\d+$/.test(ttlRaw) || Number(ttlRaw) < 360 || Number(ttlRaw) > 7 * 86400) {
    throw new ConfigError('ORDER_TTL_SECONDS', `must be a whole number of seconds from 360 to 604800, not ${JSON.stringify(ttlRaw)}.`);
  }
  const pendingRaw = get(env, 'MAX_PENDING_ORDERS') ?? '10';
  if (!/^\d+$/.test(pendingRaw) || Number(pendingRaw) < 1 || Number(pendingRaw) > 1000) {
    throw new ConfigError('MAX_PENDING_ORDERS', `must be a whole number from 1 to 1000, not ${JSON.stringify(pendingRaw)}.`);
  }
  const upload = get(env, 'SHIPPING_INFO_UPLOAD') ?? 'on';
  if (upload !== 'on' && upload !== 'off') throw new ConfigError('SHIPPING_INFO_UPLOAD', `must be on or off, not ${JSON.stringify(upload)}.`);
  const config: Config = {
    wxpay: wxpayFrom(env, baseDir),
    payjs: payjsFrom(env),
    orderTtlSeconds: Number(ttlRaw),
    maxPendingOrders: Number(pendingRaw),
    merchantOpenids: merchantOpenidsFrom(env),
    shippingUpload: upload === 'on',
    autoRefundPaidAfterClose: flag(env, 'AUTO_REFUND_PAID_AFTER_CLOSE', true),
  };
  if (!config.wxpay && !config.payjs) {
    throw new ConfigError('WXPAY_MCHID', 'is not set (nor PAYJS_MCHID): configure WeChat Pay or PAYJS (see README, "Configuration").');
  }
  return config;
}
