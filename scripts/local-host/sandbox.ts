import * as fs from 'node:fs';
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createWxPayV2Emulator, wxpayV2NotifyAccepted, type WxPayV2Order } from './emulators/wxpay-v2';
import { createWxPayV3Emulator, type WxPayV3Trade } from './emulators/wxpay-v3';
import { createPayjsEmulator, isPayjsNotifyAccepted, PAYJS_NOTIFY_SCHEDULE_MS, type PayjsOrder } from './emulators/payjs';
import { Notifier } from './emulators/notifier';
import { createShippingEmulator, type ShippingEmulator, type ShippingRecord } from './emulators/shipping';
import { findPaidPayment } from './emulators/shipping-payments';
import { emulatorStateFile } from './emulators/state-file';
import { createLocalHost, createLocalTlsHost, type HostedFunction } from './host';
import { SandboxApi } from './sandbox-api';
import { applySandboxDefaults, loadOrCreateSandboxKeys } from './sandbox-env';
import { staticFiles } from './static-files';
import { createMemoryDatabase, runWithContext, useDatabase, useOpenApi } from './wx-server-sdk';
import type { Database } from '../../cloudfunctions/common/db/types';

/** WeChat Pay's redelivery schedule (ms between attempts: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h). */
const WXPAY_REDELIVERY_MS = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600].map((s) => s * 1000);

export interface SandboxOptions {
  port: number;
  sandboxDir: string;
  /** Loads a cloud function once the environment is configured (built index.js, or src in tests). */
  loadFunction(name: string): HostedFunction['main'];
  env?: NodeJS.ProcessEnv;
  /** Divides the redelivery delays (default 15: 15 s → 1 s). */
  redeliveryScale?: number;
  /** The repository root: the catalog seed and the console's files are found from it. */
  rootDir: string;
  /** How often the checkout timer trigger runs (the cloud runs it every 5 minutes); 0 = never. */
  sweepEveryMs?: number;
  /** The https listener's port (mutual TLS for v2's /secapi/): default port + 1, or any free one when port is 0. */
  tlsPort?: number;
  /** WeChat Pay refunds still PROCESSING this long after they were made succeed by themselves; 0 or undefined = only when settled. */
  refundSucceedAfterMs?: number;
}

export interface RunningSandbox {
  url: string;
  server: http.Server;
  /** The same host over https (https://127.0.0.1:…), where v2's /secapi/ takes the merchant client certificate. */
  tlsUrl: string;
  db: Database;
  emulators: SandboxEmulatorsExposed;
  usesSandboxKeys: { wxpay: boolean; payjs: boolean };
  /** Fires the checkout function's timer trigger now (the host also does it every `sweepEveryMs`). */
  runTimer(): Promise<unknown>;
  close(): Promise<void>;
}

type SandboxEmulatorsExposed = {
  wxpayV3: ReturnType<typeof createWxPayV3Emulator>;
  wxpayV2: ReturnType<typeof createWxPayV2Emulator>;
  payjs: ReturnType<typeof createPayjsEmulator>;
  shipping: ShippingEmulator;
};

/** Seeds the catalog on first start from the same JSON-lines file the cloud console imports. */
async function seedProducts(db: Database, seedFile: string): Promise<void> {
  const { total } = await db.collection('products').count();
  if (total > 0) return;
  const lines = fs.readFileSync(seedFile, 'utf8').split('\n').filter((l) => l.trim());
  for (const line of lines) await db.collection('products').add({ data: JSON.parse(line) });
}

export async function startSandbox(opts: SandboxOptions): Promise<RunningSandbox> {
  const env = opts.env ?? process.env;
  const keys = loadOrCreateSandboxKeys(opts.sandboxDir);
  const db = createMemoryDatabase({ dir: path.join(opts.sandboxDir, 'db') });
  useDatabase(db);
  await seedProducts(db, path.join(opts.rootDir, 'cloudfunctions', 'checkout', 'seed', 'products.json'));

  const scale = opts.redeliveryScale ?? 15;
  const schedule = (ms: number[]) => ms.map((x) => Math.max(1, Math.round(x / scale)));
  const notifiers: Notifier[] = [];
  // Notifications a previous run left pending go on once payNotify can answer them: serving(), below.
  let serving!: () => void;
  const resumeAfter = new Promise<void>((resolve) => (serving = resolve));
  const notifier = (delays: number[], isAccepted: (s: number, b: string) => boolean) => {
    const n = new Notifier({ scheduleMs: schedule(delays), isAccepted, resumeAfter });
    notifiers.push(n);
    return n;
  };
  // The emulators' payments live next to the orders, so a PENDING order stays payable after a restart.
  const stateDir = path.join(opts.sandboxDir, 'emulators');
  const stores = { v3: emulatorStateFile<WxPayV3Trade>(stateDir, 'wxpay-v3'), v2: emulatorStateFile<WxPayV2Order>(stateDir, 'wxpay-v2'), payjs: emulatorStateFile<PayjsOrder>(stateDir, 'payjs'), shipping: emulatorStateFile<ShippingRecord>(stateDir, 'shipping', (r) => r.transactionId) };
  const wxpayV3 = createWxPayV3Emulator({
    merchant: { mchid: keys.wxpayMchid, appid: keys.appid, certSerial: keys.certSerial, publicKey: keys.merchantPublicKey, apiV3Key: Buffer.from(keys.apiV3Key) },
    platform: { publicKeyId: keys.platformPublicKeyId, privateKey: keys.platformPrivateKey },
    notifier: notifier(WXPAY_REDELIVERY_MS, (s) => s === 200 || s === 204),
    store: stores.v3,
    refundSucceedAfterMs: opts.refundSucceedAfterMs,
  });
  const wxpayV2 = createWxPayV2Emulator({
    merchant: { mchid: keys.wxpayMchid, appid: keys.appid, key: keys.v2Key },
    notifier: notifier(WXPAY_REDELIVERY_MS, wxpayV2NotifyAccepted),
    store: stores.v2,
    refundSucceedAfterMs: opts.refundSucceedAfterMs,
  });
  const payjs = createPayjsEmulator({
    mchid: keys.payjsMchid,
    key: keys.payjsKey,
    notifier: notifier(PAYJS_NOTIFY_SCHEDULE_MS, isPayjsNotifyAccepted),
    store: stores.payjs,
  });

  // 发货信息管理 answers the functions' cloud.openapi calls, about the payments the emulators above hold.
  const shipping = createShippingEmulator({
    findPayment: (key) => findPaidPayment([wxpayV3, wxpayV2], key),
    store: stores.shipping,
  });
  useOpenApi(shipping);

  const functions: Record<string, HostedFunction> = {};
  const sandbox = new SandboxApi(
    { wxpay: [wxpayV3, wxpayV2], payjs, shipping, faults: { 'wxpay-v3': wxpayV3.faults, 'wxpay-v2': wxpayV2.faults, payjs: payjs.faults } },
    async () => (await db.collection('orders').orderBy('createdAt', 'desc').limit(100).get()).data,
  );
  const hostOptions = {
    functions,
    emulators: {
      v3: { stripPrefix: false, emulators: [wxpayV3] },
      pay: { stripPrefix: false, emulators: [wxpayV2] },
      secapi: { stripPrefix: false, emulators: [wxpayV2] },
      payjs: { stripPrefix: true, emulators: [payjs] },
    },
    sandbox,
    appid: env.WXPAY_APPID || keys.appid,
    serveConsole: staticFiles(path.join(opts.rootDir, 'scripts', 'local-host', 'console')),
  };
  const server = createLocalHost(hostOptions);
  const tlsServer = createLocalTlsHost(hostOptions, {
    key: fs.readFileSync(keys.tls.serverKeyPath),
    cert: fs.readFileSync(keys.tls.serverCertPath),
    ca: fs.readFileSync(keys.tls.caCertPath),
  });
  const listen = (srv: http.Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve((srv.address() as AddressInfo).port));
    });
  const url = `http://127.0.0.1:${await listen(server, opts.port)}`;
  let tlsUrl: string;
  try {
    tlsUrl = `https://127.0.0.1:${await listen(tlsServer, opts.tlsPort ?? (opts.port === 0 ? 0 : opts.port + 1))}`;
  } catch (e) {
    server.close();
    throw e;
  }
  // The functions read their configuration at load, so the defaults go in first.
  const usesSandboxKeys = applySandboxDefaults(env, keys, url, tlsUrl);
  functions.checkout = { kind: 'callable', main: opts.loadFunction('checkout') };
  functions.payNotify = { kind: 'http', main: opts.loadFunction('payNotify') };
  functions.merchant = { kind: 'callable', main: opts.loadFunction('merchant') };
  serving();
  const runTimer = () =>
    runWithContext({ SOURCE: 'wx_trigger' }, () => functions.checkout.main({ Type: 'Timer', TriggerName: 'closeExpiredOrders', Time: new Date().toISOString() }));
  const sweepEvery = opts.sweepEveryMs ?? 60_000;
  const sweeper = sweepEvery > 0 ? setInterval(() => void runTimer().catch((e) => console.error('[timer]', e)), sweepEvery) : undefined;
  sweeper?.unref();

  return {
    url,
    server,
    tlsUrl,
    db,
    emulators: { wxpayV3, wxpayV2, payjs, shipping },
    usesSandboxKeys,
    runTimer,
    close: async () => {
      clearInterval(sweeper);
      for (const n of notifiers) n.stop();
      await Promise.all([server, tlsServer].map((srv) => new Promise<void>((r) => srv.close(() => r()))));
      // Open database files cannot be removed on Windows: a closed sandbox lets go of them.
      for (const store of Object.values(stores)) store.close?.();
      db.close();
    },
  };
}
