import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import forge from 'node-forge';
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
  tls: SandboxTls;
}

/**
 * Throwaway certificates for mutual TLS with the v2 emulator: a sandbox CA, the https listener's
 * certificate (127.0.0.1 and localhost) and the merchant's API client certificate (CN = the mch_id, as
 * WeChat Pay issues them), all PEM files under SANDBOX_DIR/keys.
 */
export interface SandboxTls {
  caCertPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  /** apiclient_cert.pem / apiclient_key.pem, the names the merchant platform gives them. */
  clientCertPath: string;
  clientKeyPath: string;
}

const randomHex = (bytes: number) => crypto.randomBytes(bytes).toString('hex');
const randomAlnum = (n: number) => crypto.randomBytes(n).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(n, '0').slice(0, n);

function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

const TLS_FILES = {
  caCertPath: 'sandbox_ca.pem',
  serverCertPath: 'local_host_cert.pem',
  serverKeyPath: 'local_host_key.pem',
  clientCertPath: 'apiclient_cert.pem',
  clientKeyPath: 'apiclient_key.pem',
} as const;

const toForgePublic = (k: crypto.KeyObject) => forge.pki.publicKeyFromPem(k.export({ type: 'spki', format: 'pem' }).toString());

/**
 * node:crypto cannot issue X.509 certificates: node-forge lays out the certificate, node:crypto makes
 * the keys and the signature (forge's pure-JS RSA would take about half a second per certificate).
 */
function issue(opts: {
  subject: forge.pki.CertificateField[];
  publicKey: crypto.KeyObject;
  issuer: { subject: forge.pki.CertificateField[]; privateKey: crypto.KeyObject };
  extensions: object[];
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = toForgePublic(opts.publicKey);
  cert.serialNumber = `4${crypto.randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 86400_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86400_000);
  cert.setSubject(opts.subject);
  cert.setIssuer(opts.issuer.subject);
  cert.setExtensions(opts.extensions);
  // What forge's cert.sign does, with the RSA signature computed by node:crypto.
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  // getTBSCertificate is public in node-forge but missing from its typings.
  cert.tbsCertificate = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = crypto.sign('sha256', tbs, opts.issuer.privateKey).toString('binary');
  return forge.pki.certificateToPem(cert);
}

/**
 * Writes the sandbox CA, the listener's certificate and the merchant client certificate for `mchid`.
 * The client certificate holds the merchant API key, as at WeChat Pay (apiclient_key.pem is the key
 * that also signs v3 requests).
 */
function createTlsFiles(files: SandboxTls, mchid: string, merchantKey: crypto.KeyObject): void {
  const gen = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ca = gen();
  const server = gen();
  const client = { privateKey: merchantKey, publicKey: crypto.createPublicKey(merchantKey) };
  const caSubject = [
    { name: 'commonName', value: 'Local host sandbox CA (throwaway)' },
    { name: 'organizationName', value: 'wechat-miniprogram-checkout-template sandbox' },
  ];
  const issuer = { subject: caSubject, privateKey: ca.privateKey };
  const caPem = issue({
    subject: caSubject,
    publicKey: ca.publicKey,
    issuer,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const serverPem = issue({
    subject: [{ name: 'commonName', value: '127.0.0.1' }],
    publicKey: server.publicKey,
    issuer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  const clientPem = issue({
    subject: [
      { name: 'commonName', value: mchid },
      { name: 'organizationalUnitName', value: 'sandbox merchant' },
      { name: 'organizationName', value: 'wechat-miniprogram-checkout-template sandbox' },
    ],
    publicKey: client.publicKey,
    issuer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  const pkcs8 = (k: crypto.KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeAtomic(files.serverKeyPath, pkcs8(server.privateKey));
  writeAtomic(files.serverCertPath, serverPem);
  writeAtomic(files.clientKeyPath, pkcs8(client.privateKey));
  writeAtomic(files.clientCertPath, clientPem);
  // The CA last: its presence says the set is complete (the CA's key is not kept: nothing else is issued).
  writeAtomic(files.caCertPath, caPem);
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
  const tls = Object.fromEntries(Object.entries(TLS_FILES).map(([k, name]) => [k, path.join(dir, name)])) as unknown as SandboxTls;
  // A SANDBOX_DIR made before the certificates existed gets them now.
  if (!Object.values(tls).every((f) => fs.existsSync(f))) createTlsFiles(tls, ids.wxpayMchid, merchantPrivate);
  return {
    ...ids,
    tls,
    merchantPrivateKeyPath: merchantKeyPath,
    merchantPublicKey: crypto.createPublicKey(merchantPrivate),
    platformPublicKeyPath: platformPubPath,
    platformPrivateKey: crypto.createPrivateKey(fs.readFileSync(platformKeyPath)),
  };
}

/**
 * Fills in the sandbox configuration for every variable the user did not set: with no WXPAY_MCHID, the
 * functions talk to the local WeChat Pay emulator with the throwaway keys (v2 over the https listener
 * `tlsBaseUrl`, with the throwaway client certificate and the sandbox CA); likewise PAYJS. Explicit
 * variables always win. Returns which providers run on sandbox defaults.
 */
export function applySandboxDefaults(env: NodeJS.ProcessEnv, keys: SandboxKeys, baseUrl: string, tlsBaseUrl: string): { wxpay: boolean; payjs: boolean } {
  const setDefault = (name: string, value: string) => {
    if (env[name] === undefined || env[name] === '') env[name] = value;
  };
  const notifyUrl = `${baseUrl}/http/payNotify`;
  const wxpay = !env.WXPAY_MCHID;
  if (wxpay) {
    setDefault('WXPAY_MCHID', keys.wxpayMchid);
    setDefault('WXPAY_APPID', keys.appid);
    // v2 refunds need mutual TLS, so v2 talks to the https listener (which serves every route).
    setDefault('WXPAY_API_BASE', env.WXPAY_API_VERSION === 'v2' ? tlsBaseUrl : baseUrl);
    setDefault('WXPAY_PRIVATE_KEY_PATH', keys.merchantPrivateKeyPath);
    setDefault('WXPAY_CERT_SERIAL', keys.certSerial);
    setDefault('WXPAY_API_V3_KEY', keys.apiV3Key);
    setDefault('WXPAY_PLATFORM_PUBLIC_KEY_PATH', keys.platformPublicKeyPath);
    setDefault('WXPAY_PLATFORM_PUBLIC_KEY_ID', keys.platformPublicKeyId);
    setDefault('WXPAY_V2_KEY', keys.v2Key);
    setDefault('WXPAY_V2_CERT_PATH', keys.tls.clientCertPath);
    setDefault('WXPAY_V2_CERT_KEY_PATH', keys.tls.clientKeyPath);
    setDefault('WXPAY_API_CA_PATH', keys.tls.caCertPath);
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
