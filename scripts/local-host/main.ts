import * as path from 'node:path';
import { loadBuiltFunction } from './load-built-function';
import { startSandbox } from './sandbox';

/**
 * `npm start`: the cloud functions on 127.0.0.1 with the WeChat Pay (v3, v2) and PAYJS emulators and
 * the sandbox console. With no WXPAY_* / PAYJS_* configuration everything runs on throwaway keys.
 */

const ROOT = path.resolve(__dirname, '..');

function portFrom(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 8787;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    console.error(`PORT must be a port number (0–65535), not ${JSON.stringify(raw)}.`);
    process.exit(2);
  }
  return Number(raw);
}

/** SANDBOX_REFUND_SUCCEED_AFTER_SECONDS: unset or 0 = refunds wait to be settled from the console or the sandbox API. */
function refundDelayFrom(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,6}$/.test(raw)) {
    console.error(`SANDBOX_REFUND_SUCCEED_AFTER_SECONDS must be a whole number of seconds (0–999999), not ${JSON.stringify(raw)}.`);
    process.exit(2);
  }
  return Number(raw) * 1000;
}

async function main(): Promise<void> {
  const sandboxDir = path.resolve(process.env.SANDBOX_DIR || '.sandbox');
  const s = await startSandbox({
    port: portFrom(process.env.PORT),
    refundSucceedAfterMs: refundDelayFrom(process.env.SANDBOX_REFUND_SUCCEED_AFTER_SECONDS),
    sandboxDir,
    rootDir: ROOT,
    loadFunction: (name) => loadBuiltFunction(ROOT, name),
  });
  const mode = (used: boolean) => (used ? 'emulator, throwaway keys' : 'your configuration');
  const refunds = process.env.SANDBOX_REFUND_SUCCEED_AFTER_SECONDS ? `succeed after ${process.env.SANDBOX_REFUND_SUCCEED_AFTER_SECONDS} s unless settled` : 'wait to be settled from the console';
  console.log(`
Local host listening on ${s.url}
  https (mutual TLS) ${s.tlsUrl}   (same routes; WeChat Pay v2 uses it for /secapi/ refunds)
  sandbox console   ${s.url}/
  checkout          POST ${s.url}/api/checkout   (header X-WX-OPENID: <openid>)
  merchant          POST ${s.url}/api/merchant   (staff: MERCHANT_OPENIDS=${process.env.MERCHANT_OPENIDS})
  payNotify         ${s.url}/http/payNotify
  WeChat Pay ${process.env.WXPAY_API_VERSION || 'v3'}     ${process.env.WXPAY_API_BASE}  (${mode(s.usesSandboxKeys.wxpay)})
  PAYJS             ${process.env.PAYJS_API_BASE}  (${mode(s.usesSandboxKeys.payjs)})
  refunds           ${refunds}
  data and keys     ${sandboxDir}

Try it:
  curl -s -H 'X-WX-OPENID: demo-user' -d '{"action":"listProducts"}' ${s.url}/api/checkout
`);
  const stop = () => void s.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
