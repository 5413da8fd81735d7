/**
 * Full-flow harness: the mini-program's pages in miniprogram-simulate, talking to the real checkout
 * function on the local host (test/helpers/sandbox.ts). The wx APIs that leave the phone are replaced by
 * stand-ins that do what WeChat does over real HTTP, so every signature and notification is the real one.
 */
import { loadPage, mount, settle, simulate, until } from '../miniprogram/setup';
import * as http from 'node:http';
import jsQR from 'jsqr';
import type { RequestPaymentParams } from '../../typings/checkout';
import { cart } from '../../miniprogram/stores/cart';
import { checkout } from '../../miniprogram/pay/stores/checkout';
import type { PollPolicy } from '../../miniprogram/pay/utils/poll';
import { postJson, type TestSandbox } from '../helpers/sandbox';

export { loadPage, settle, until };

type AnyFn = (...args: never[]) => unknown;
const wxStub = (globalThis as unknown as { wx: Record<string, unknown> }).wx;

/** Short enough that a test waits milliseconds, long enough for a notification to land first. */
export const FLOW_POLL: PollPolicy = { firstDelayMs: 10, factor: 2, maxDelayMs: 50, deadlineMs: 5000 };

/** wx.cloud as the WeChat client runs it: the call reaches the function with the caller's OPENID. */
export function installCloud(baseUrl: string, openid: () => string): void {
  wxStub.cloud = {
    init: () => undefined,
    async callFunction({ name, data }: { name: string; data: object }) {
      const r = await postJson(`${baseUrl}/api/${encodeURIComponent(name)}`, data, { 'X-WX-OPENID': openid() });
      if (r.status !== 200) throw { errMsg: `cloud.callFunction:fail HTTP ${r.status}` };
      return { errMsg: 'cloud.callFunction:ok', result: r.body, requestID: 'local' };
    },
  };
}

interface WxRequestOptions {
  url: string;
  method?: string;
  data?: unknown;
  header?: Record<string, string>;
  dataType?: string;
  success?(res: { statusCode: number; data: unknown; header: Record<string, unknown>; errMsg: string }): void;
  fail?(err: { errMsg: string }): void;
  complete?(): void;
}

/** wx.request as a real HTTP request: objects go as JSON, JSON answers come back parsed (dataType 'json'). */
export function installHttpRequest(): { urls: string[] } {
  const urls: string[] = [];
  wxStub.request = (o: WxRequestOptions) => {
    urls.push(o.url);
    const body = o.data === undefined ? undefined : typeof o.data === 'string' ? o.data : JSON.stringify(o.data);
    const req = http.request(o.url, { method: o.method ?? 'GET', headers: o.header }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let data: unknown = text;
        if ((o.dataType ?? 'json') === 'json') {
          try {
            data = JSON.parse(text);
          } catch {
            /* WeChat hands back the raw string */
          }
        }
        o.success?.({ statusCode: res.statusCode ?? 0, data, header: res.headers, errMsg: 'request:ok' });
        o.complete?.();
      });
    });
    req.on('error', (err) => {
      o.fail?.({ errMsg: `request:fail ${err.message}` });
      o.complete?.();
    });
    req.end(body);
    return { abort: () => req.destroy() };
  };
  return { urls };
}

type PayerOutcome = 'pay' | 'cancel' | 'fail';

/**
 * The WeChat client's payment sheet: hands exactly the five wx.requestPayment fields to the emulator, which
 * checks paySign (a refusal is a `requestPayment:fail …`) and, for 'pay', sends the signed notification.
 */
export class Wallet {
  outcome: PayerOutcome = 'pay';
  /** What the sheet received, in order. */
  readonly seen: RequestPaymentParams[] = [];
  /** Changes the parameters on their way to the sheet (a corrupted signature). */
  alter: ((p: RequestPaymentParams) => RequestPaymentParams) | null = null;

  constructor(private readonly baseUrl: string) {
    wxStub.requestPayment = (o: RequestPaymentParams & { success(r: { errMsg: string }): void; fail(r: { errMsg: string }): void }) => {
      const { timeStamp, nonceStr, package: pkg, signType, paySign } = o;
      const params = this.alter ? this.alter({ timeStamp, nonceStr, package: pkg, signType, paySign }) : { timeStamp, nonceStr, package: pkg, signType, paySign };
      this.seen.push(params);
      void this.settle(params).then((errMsg) => (errMsg === 'requestPayment:ok' ? o.success({ errMsg }) : o.fail({ errMsg })));
    };
  }

  private async settle(params: RequestPaymentParams): Promise<string> {
    const outcome = this.outcome;
    const r = await postJson(`${this.baseUrl}/sandbox/api/wxpay/request-payment`, { params, outcome });
    if (r.status !== 200) return `requestPayment:fail ${r.body?.error ?? `HTTP ${r.status}`}`;
    if (outcome === 'cancel') return 'requestPayment:fail cancel';
    if (outcome === 'fail') return 'requestPayment:fail';
    return 'requestPayment:ok';
  }

  reset(): void {
    this.outcome = 'pay';
    this.alter = null;
    this.seen.length = 0;
  }
}

/** The local-mode "模拟支付" sheet: taps the item with this label, recording the lists it was shown. */
export function chooseInSheet(label: string): { shown: string[][] } {
  const shown: string[][] = [];
  wxStub.showActionSheet = (o: { itemList: string[]; success(r: { tapIndex: number }): void; fail(r: { errMsg: string }): void }) => {
    shown.push(o.itemList);
    const tapIndex = o.itemList.indexOf(label);
    setTimeout(() => (tapIndex < 0 ? o.fail({ errMsg: 'showActionSheet:fail cancel' }) : o.success({ tapIndex })), 0);
  };
  return { shown };
}

/** Records navigations instead of performing them (simulate has no page stack). */
export function installNavigation(): { urls: string[] } {
  const urls: string[] = [];
  wxStub.navigateTo = ((o: { url: string }) => void urls.push(o.url)) as AnyFn;
  wxStub.redirectTo = ((o: { url: string }) => void urls.push(o.url)) as AnyFn;
  return { urls };
}

/** Fills the cart from the server's own catalog: `units` taps of "add" per sku. */
export async function fillCart(s: TestSandbox, openid: string, units: Record<string, number>): Promise<void> {
  const { products } = await s.ok(openid, { action: 'listProducts' });
  cart.clear();
  for (const [skuId, n] of Object.entries(units)) {
    const product = products.find((p) => p.skuId === skuId);
    if (!product) throw new Error(`no ${skuId} in the seeded catalog`);
    for (let i = 0; i < n; i++) if (!cart.add(product)) throw new Error(`cannot add ${skuId}`);
  }
}

interface Rendered {
  data: Record<string, any>;
  instance: unknown;
  querySelector(selector: string): { dom: { textContent: string | null }; dispatchEvent(name: string, detail?: object): void } | undefined;
  attach(parent: unknown): void;
  detach(): void;
}

export interface OpenPage {
  comp: Rendered;
  page: { onLoad(q: Record<string, string>): void; onShow(): void; onReady(): void; onUnload?(): void };
  text(selector: string): string | null;
  tap(selector: string): void;
  /** Leaves the page: onUnload (stops its polling), then detach (drops its store bindings). */
  close(): void;
}

/** Renders and attaches a page, then runs onLoad(query) (when given) and onShow like the framework. */
export function openPage(id: string, query?: Record<string, string>): OpenPage {
  const comp = mount(simulate.render(id) as unknown as Rendered);
  const page = comp.instance as OpenPage['page'];
  if (query) page.onLoad(query);
  page.onShow();
  const find = (selector: string) => {
    const el = comp.querySelector(selector);
    if (!el) throw new Error(`${selector} is not rendered`);
    return el;
  };
  return {
    comp,
    page,
    text: (selector) => comp.querySelector(selector)?.dom.textContent ?? null,
    tap: (selector) => find(selector).dispatchEvent('tap'),
    close: () => {
      page.onUnload?.();
      comp.detach();
    },
  };
}

/** Opens pages like openPage and closes every one of them in closeAll (call it in afterEach). */
export function pageTracker(): { open(id: string, query?: Record<string, string>): OpenPage; closeAll(): void } {
  const opened: OpenPage[] = [];
  return {
    open(id, query) {
      const p = openPage(id, query);
      opened.push(p);
      return p;
    },
    closeAll() {
      for (const p of opened.splice(0)) p.close();
    },
  };
}

/** The orderId of a `/pay/result/index?orderId=…` navigation. */
export function orderIdOf(url: string): string {
  const m = /^\/pay\/result\/index\?orderId=([^&]+)$/.exec(url);
  if (!m) throw new Error(`not a result page url: ${url}`);
  return decodeURIComponent(m[1]);
}

/** Waits for the store to reach `phase`, then for the bindings to reach the page. */
export async function reachPhase(phase: typeof checkout.phase, timeoutMs = 5000): Promise<void> {
  await until(() => checkout.phase === phase, timeoutMs);
  await settle();
}

/** A legacy canvas context recording what weapp-qrcode draws, for reading the code back. */
export function installRecordingCanvas(): { rects: Array<{ x: number; y: number; w: number; h: number; dark: boolean }> } {
  const rects: Array<{ x: number; y: number; w: number; h: number; dark: boolean }> = [];
  let fill = '#000000';
  wxStub.createCanvasContext = (() => ({
    setFillStyle: (c: string) => {
      fill = c;
    },
    fillRect: (x: number, y: number, w: number, h: number) => void rects.push({ x, y, w, h, dark: fill === '#000000' }),
    drawImage: () => undefined,
    draw: (_reserve?: boolean, cb?: () => void) => cb?.(),
  })) as AnyFn;
  return { rects };
}

/** What a phone camera reads from the drawn rectangles (painted with a quiet zone, decoded by jsQR). */
export function scanCanvas(rects: ReturnType<typeof installRecordingCanvas>['rects'], size: number): string | null {
  const margin = 16;
  const side = size + 2 * margin;
  const pixels = new Uint8ClampedArray(side * side * 4).fill(255);
  for (const r of rects) {
    if (!r.dark) continue;
    for (let y = Math.max(Math.round(r.y), 0); y < Math.min(Math.round(r.y + r.h), size); y++) {
      for (let x = Math.max(Math.round(r.x), 0); x < Math.min(Math.round(r.x + r.w), size); x++) {
        const i = ((y + margin) * side + (x + margin)) * 4;
        pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
      }
    }
  }
  return jsQR(pixels, side, side)?.data ?? null;
}
