import type * as http from 'node:http';
import { toString as qrToString } from 'qrcode';
import type { Fault, Faults } from './emulators/faults';
import { REFUND_OUTCOMES } from './emulators/refunds';
import { EmulatorRefusal, type EmulatedPayment, type Emulator, type PayerOutcome, type ProviderName, type RefundOutcome, type WxPayEmulator } from './emulators/types';
import type { ShippingEmulator } from './emulators/shipping';
import { HttpFailure, parseJson, send, sendJson } from './http-util';

/**
 * The payer's side and the sandbox's controls, as JSON routes under /sandbox/api: what a wallet, a
 * scanning phone or the PAYJS mini-program would do, used by the console, the mini-program's local
 * mode and the tests. Nothing here exposes a key.
 */

export interface SandboxEmulators {
  wxpay: WxPayEmulator[];
  payjs: Emulator & { jump(extraData: Record<string, unknown>): EmulatedPayment };
  faults: Partial<Record<ProviderName, Faults>>;
  shipping: ShippingEmulator;
}

const OUTCOMES: readonly PayerOutcome[] = ['pay', 'cancel', 'fail'];

function outcomeOf(v: unknown): PayerOutcome {
  if (typeof v !== 'string' || !OUTCOMES.includes(v as PayerOutcome)) throw new HttpFailure(400, `outcome must be one of ${OUTCOMES.join(', ')}`);
  return v as PayerOutcome;
}

function refundOutcomeOf(v: unknown): RefundOutcome {
  if (typeof v !== 'string' || !REFUND_OUTCOMES.includes(v as RefundOutcome)) throw new HttpFailure(400, `outcome must be one of ${REFUND_OUTCOMES.join(', ')}`);
  return v as RefundOutcome;
}

function objectBody(raw: Buffer): Record<string, unknown> {
  const body = parseJson(raw);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpFailure(400, 'body must be a JSON object');
  return body as Record<string, unknown>;
}

/** A code_url is about 50 characters; the bound keeps one request's rendering work small. */
export const QR_MAX_TEXT = 512;

/** GET qr.svg?text=…: the console shows a Native payment's code_url as a scannable QR code. */
async function qrSvg(url: URL): Promise<string> {
  const text = url.searchParams.get('text');
  if (!text) throw new HttpFailure(400, 'text is required');
  if (text.length > QR_MAX_TEXT) throw new HttpFailure(400, `text is longer than ${QR_MAX_TEXT} characters`);
  return qrToString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}

/** The WeChat Pay emulator (v3 or v2) that issued this prepay id / code_url: each is asked for the key. */
function owner(emulators: WxPayEmulator[], holds: (e: WxPayEmulator) => EmulatedPayment | undefined): WxPayEmulator {
  const e = emulators.find((x) => holds(x) !== undefined);
  if (!e) throw new EmulatorRefusal('no such payment at the WeChat Pay emulator', 404);
  return e;
}

export class SandboxApi {
  constructor(
    private readonly emulators: SandboxEmulators,
    private readonly listOrders: () => Promise<unknown[]>,
  ) {}

  private all(): Emulator[] {
    return [...this.emulators.wxpay, this.emulators.payjs];
  }

  private async route(method: string, parts: string[], raw: Buffer): Promise<unknown> {
    const [a, b, c] = parts;
    if (method === 'GET' && a === 'state') {
      const payments = this.all().flatMap((e) => e.list()).sort((x, y) => y.createdAt - x.createdAt);
      const refunds = this.all().flatMap((e) => e.listRefunds()).sort((x, y) => y.createdAt - x.createdAt);
      return { orders: await this.listOrders(), payments, refunds, shipping: this.emulators.shipping.list(), now: Date.now() };
    }
    if (method !== 'POST') throw new HttpFailure(405, 'use POST');
    if (a === 'payments' && b && c) {
      const outcome = outcomeOf(c);
      const owner = this.all().find((e) => e.findPayment(b) !== undefined);
      if (!owner) throw new EmulatorRefusal(`no payment ${b}`, 404);
      return { payment: await owner.settle(b, outcome) };
    }
    // The bank's side of a refund: POST /sandbox/api/refunds/{provider}/{out_refund_no}/{succeed|abnormal|close}.
    if (a === 'refunds' && b && c && parts.length === 4) {
      const emulator = this.all().find((e) => e.provider === b);
      if (!emulator) throw new HttpFailure(400, 'provider must be wxpay-v3, wxpay-v2 or payjs');
      return { refund: await emulator.settleRefund(c, refundOutcomeOf(parts[3])) };
    }
    const body = objectBody(raw);
    if (a === 'wxpay' && b === 'request-payment') {
      const params = body.params as Parameters<WxPayEmulator['requestPayment']>[0];
      if (typeof params !== 'object' || params === null) throw new HttpFailure(400, 'params must be the object given to wx.requestPayment');
      const outcome = outcomeOf(body.outcome);
      const prepayId = String(params.package ?? '').replace(/^prepay_id=/, '');
      return { payment: await owner(this.emulators.wxpay, (e) => e.findByPrepayId(prepayId)).requestPayment(params, outcome) };
    }
    if (a === 'wxpay' && b === 'scan') {
      if (typeof body.codeUrl !== 'string') throw new HttpFailure(400, 'codeUrl must be a string');
      const outcome = outcomeOf(body.outcome);
      const codeUrl = body.codeUrl;
      return { payment: await owner(this.emulators.wxpay, (e) => e.findByCodeUrl(codeUrl)).scan(codeUrl, outcome) };
    }
    if (a === 'payjs' && b === 'jump') {
      if (typeof body.extraData !== 'object' || body.extraData === null) throw new HttpFailure(400, 'extraData must be an object');
      return { payment: this.emulators.payjs.jump(body.extraData as Record<string, unknown>) };
    }
    if (a === 'shipping' && b === 'receipt') {
      // The payer in WeChat's 确认收货 component: what wx.openBusinessView({ businessType: 'weappOrderConfirm' }) shows.
      if (typeof body.extraData !== 'object' || body.extraData === null) throw new HttpFailure(400, 'extraData must be the object given to wx.openBusinessView');
      if (typeof body.openid !== 'string' || !body.openid) throw new HttpFailure(400, 'openid must name the payer');
      if (body.outcome !== 'confirm' && body.outcome !== 'cancel') throw new HttpFailure(400, 'outcome must be confirm or cancel');
      return { result: this.emulators.shipping.receiptComponent(body.extraData as Record<string, unknown>, body.openid, body.outcome) };
    }
    if (a === 'faults') {
      const faults = this.emulators.faults[body.provider as ProviderName];
      if (!faults) throw new HttpFailure(400, 'provider must be wxpay-v3, wxpay-v2 or payjs');
      if (body.clear === true) faults.clear();
      else faults.add(body.fault as Fault);
      return { ok: true };
    }
    throw new HttpFailure(404, `no sandbox route ${method} /${parts.join('/')}`);
  }

  async handle(method: string, url: URL, raw: Buffer, res: http.ServerResponse): Promise<void> {
    const parts = url.pathname.split('/').slice(3).map(decodeURIComponent);
    if (method === 'GET' && parts.length === 1 && parts[0] === 'qr.svg') {
      return send(res, 200, { 'content-type': 'image/svg+xml; charset=utf-8', 'cache-control': 'no-cache' }, await qrSvg(url));
    }
    try {
      sendJson(res, 200, await this.route(method, parts, raw));
    } catch (err) {
      if (err instanceof EmulatorRefusal) return sendJson(res, err.statusCode, { error: err.message });
      throw err;
    }
  }
}
