import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import jsQR from 'jsqr';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import * as crypto from 'node:crypto';
import type { Order, PayData, PayMethod } from '../../typings/checkout';
import { authorizationHeader } from '../../cloudfunctions/common/wxpay/v3/signing';
import { loadOrCreateSandboxKeys } from '../../scripts/local-host/sandbox-env';
import { serveNotify } from '../helpers/loopback';
import { ROOT, replay, request, startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';

/**
 * The sandbox console in a real browser (Debian's Chromium, driven by playwright-core): it shows what
 * the emulators hold, its buttons act as the payer's wallet, and the order it pays turns PAID.
 */

/** CHROME_PATH, else the usual places of Chromium / Google Chrome on Debian, Ubuntu, hosted CI runners and macOS. */
const BROWSERS = [
  process.env.CHROME_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
].filter((p): p is string => !!p);
const CHROMIUM = BROWSERS.find((p) => fs.existsSync(p)) ?? '';
const MISSING = `The sandbox console test needs Chrome or Chromium: set CHROME_PATH, or install one (Debian: apt-get install chromium). Looked in: ${BROWSERS.join(', ')}`;
const README_SCREENSHOT = path.join(ROOT, 'docs', 'sandbox-console.png');
/** The committed screenshot is rewritten only on request (or when missing), so a test run leaves the tree clean. */
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT || !fs.existsSync(README_SCREENSHOT) ? README_SCREENSHOT : path.join(os.tmpdir(), `sandbox-console-${process.pid}.png`);
const hasChromium = CHROMIUM !== '';

if (!hasChromium && !process.env.CI) process.stderr.write(`Skipping the sandbox console browser test: ${MISSING}\n`);

interface FlakyProxy {
  url: string;
  /** How many of the coming notifications to answer with 503 instead of passing them on. */
  refuse: number;
  close(): Promise<void>;
}

/** A notify endpoint in front of payNotify that can be told to refuse notifications (503). */
async function startFlakyNotifyProxy(target: () => string): Promise<FlakyProxy> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (proxy.refuse > 0) {
        proxy.refuse -= 1;
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('busy, try later');
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const fwd = await replay(target(), { headers, body: Buffer.concat(chunks) });
      res.writeHead(fwd.status, { 'content-type': fwd.contentType });
      res.end(fwd.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const proxy: FlakyProxy = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`, refuse: 0, close: () => new Promise((r) => server.close(() => r())) };
  return proxy;
}

if (!hasChromium && process.env.CI) {
  test('Chromium is installed', () => {
    throw new Error(MISSING);
  });
}

(hasChromium ? describe : describe.skip)('sandbox console in Chromium', () => {
  const alice = 'openid-console-alice';
  let s: TestSandbox;
  let proxy: FlakyProxy;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    proxy = await startFlakyNotifyProxy(() => `${s.url}/http/payNotify`);
    s = await startTestSandbox({ WXPAY_NOTIFY_URL: proxy.url });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(5000);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await proxy?.close();
  });

  /** An order of `quantity` coffee-bean bags (¥68.00 each), put up for payment with `method`. */
  async function placeAndPay(method: PayMethod, quantity = 1): Promise<{ order: Order; paymentId: string; paid: PayData }> {
    const { order } = await s.ok(alice, { action: 'createOrder', items: [{ skuId: 'sku-coffee-beans', quantity }] });
    const paid = await s.ok(alice, { action: 'pay', orderId: order.orderId, method });
    const state = (await (await fetch(`${s.url}/sandbox/api/state`)).json()) as { payments: { id: string; outTradeNo: string }[] };
    const payment = state.payments.find((p) => p.outTradeNo === order.outTradeNo);
    if (!payment) throw new Error(`no emulated payment for ${order.outTradeNo}`);
    return { order, paymentId: payment.id, paid };
  }

  const openConsole = () => page.goto(`${s.url}/`);
  const card = (paymentId: string): Locator => page.locator(`[data-payment="${paymentId}"]`);
  const orderRow = (orderId: string): Locator => page.locator(`[data-order="${orderId}"]`);

  /** The browser APIs the in-page code below uses (the project's TypeScript lib has no DOM). */
  interface PageImage {
    width: number;
    decode(): Promise<void>;
    ownerDocument: { createElement(tag: 'canvas'): PageCanvas };
  }
  interface PageCanvas {
    width: number;
    height: number;
    getContext(kind: '2d'): {
      drawImage(img: PageImage, x: number, y: number, w: number, h: number): void;
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    } | null;
  }

  /** What a phone camera would read from the QR image shown in the page. */
  async function decodeQrIn(where: Locator): Promise<string | null> {
    const img = where.locator('.qr img');
    await img.waitFor();
    const { width, height, data } = await img.evaluate(async (node) => {
      const el = node as unknown as PageImage;
      await el.decode();
      const side = 2 * el.width;
      const canvas = el.ownerDocument.createElement('canvas');
      canvas.width = side;
      canvas.height = side;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(el, 0, 0, side, side);
      // Pixels travel as base64: a plain array of a million numbers is very slow to serialise.
      const bytes = ctx.getImageData(0, 0, side, side).data;
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { width: side, height: side, data: btoa(binary) };
    });
    return jsQR(new Uint8ClampedArray(Buffer.from(data, 'base64')), width, height)?.data ?? null;
  }

  test('Cancel leaves a payment waiting and its order payable; Fail marks the payment failed', async () => {
    const jsapi = await placeAndPay('wechat');
    const native = await placeAndPay('native');
    await openConsole();

    await card(jsapi.paymentId).getByRole('button', { name: /^Cancel/ }).click();
    await expectText(card(jsapi.paymentId), 'cancelled 用户取消', 'waiting');
    expect(await card(jsapi.paymentId).getAttribute('data-status')).toBe('WAITING');
    expect(await card(jsapi.paymentId).getByRole('button', { name: /^Pay/ }).isEnabled()).toBe(true);

    await card(native.paymentId).getByRole('button', { name: /^Fail/ }).click();
    await card(native.paymentId).and(page.locator('[data-status="FAILED"]')).waitFor();
    expect(await card(native.paymentId).getByRole('button').count()).toBe(0);
    await expectText(card(native.paymentId), 'none were sent.');

    for (const { order } of [jsapi, native]) {
      expect((await s.ok(alice, { action: 'queryOrder', orderId: order.orderId })).order.status).toBe('PENDING');
      expect(await orderRow(order.orderId).getAttribute('data-status')).toBe('PENDING');
    }
  });

  test('a refusal from the emulator is shown on the payment; a lost connection is shown at the top', async () => {
    const { paymentId } = await placeAndPay('wechat');
    await openConsole();
    await card(paymentId).waitFor();
    // Freeze what the page sees, then pay behind its back: the page's Pay now hits an already-paid trade.
    const stale = await (await fetch(`${s.url}/sandbox/api/state`)).text();
    await page.route('**/sandbox/api/state', (r) => r.fulfill({ contentType: 'application/json', body: stale }));
    expect((await s.post(`/sandbox/api/payments/${paymentId}/pay`, {})).status).toBe(200);
    await card(paymentId).getByRole('button', { name: /^Pay/ }).click();
    await expectText(card(paymentId).getByRole('alert'), 'Refused', '该订单已支付');

    await page.unroute('**/sandbox/api/state');
    await card(paymentId).and(page.locator('[data-status="PAID"]')).waitFor();
    await card(paymentId).getByRole('button', { name: 'Dismiss this message' }).click();
    expect(await card(paymentId).getByRole('alert').count()).toBe(0);

    await page.route('**/sandbox/api/state', (r) => r.abort());
    await expectText(page.locator('#connection'), 'does not answer');
    await page.unroute('**/sandbox/api/state');
    await expectText(page.locator('#connection'), 'Live');
  });

  test('shows a waiting scan-to-pay payment with its QR code; Pay makes the order PAID, with the retried notification', async () => {
    const { order, paymentId, paid } = await placeAndPay('native', 2);
    if (paid.method !== 'native') throw new Error('expected a Native payment');
    await openConsole();
    await card(paymentId).waitFor();
    expect(await card(paymentId).getAttribute('data-status')).toBe('WAITING');
    await expectText(card(paymentId), order.outTradeNo, '¥136.00');
    await expectText(orderRow(order.orderId), 'pending', '¥136.00', '云南小粒咖啡豆 250g × 2', 'Native');
    expect(await decodeQrIn(card(paymentId))).toBe(paid.codeUrl);

    // The first notification is refused (503); the emulator retries and payNotify accepts the second.
    proxy.refuse = 1;
    await card(paymentId).getByRole('button', { name: /^Pay/ }).click();

    await orderRow(order.orderId).and(page.locator('[data-status="PAID"]')).waitFor();
    await card(paymentId).locator('.delivery.accepted').waitFor();
    const rows = card(paymentId).locator('.delivery');
    await expectText(rows.nth(0), '#1', 'HTTP 503', 'not accepted', 'busy, try later');
    expect(await rows.nth(0).locator('[data-due]').count()).toBe(1);
    await expectText(rows.nth(1), '#2', 'accepted');
    expect(await rows.nth(1).locator('.http').textContent()).toMatch(/^HTTP 20[04]$/);
    expect(await card(paymentId).getByRole('button').count()).toBe(0);
    expect((await s.order(order.orderId)).status).toBe('PAID');
  });

  test('a refund shows under its payment; Abnormal, then Succeed settle it, each with its notification', async () => {
    const notified = await serveNotify(async () => ({ statusCode: 204, headers: {}, body: '' }));
    try {
      const { order, paymentId } = await placeAndPay('native');
      expect((await s.post(`/sandbox/api/payments/${paymentId}/pay`, {})).status).toBe(200);
      expect((await waitForStatus(s, alice, order.orderId, 'PAID')).status).toBe('PAID');
      // The merchant's refund request, signed with the sandbox's merchant key as our server signs it.
      const keys = loadOrCreateSandboxKeys(s.dir);
      const outRefundNo = `R${order.outTradeNo}`;
      const body = JSON.stringify({ out_trade_no: order.outTradeNo, out_refund_no: outRefundNo, reason: '少发一包', notify_url: `${notified.url}/refund`, amount: { refund: 1000, total: 6800, currency: 'CNY' } });
      const signer = { mchid: keys.wxpayMchid, serialNo: keys.certSerial, privateKey: crypto.createPrivateKey(fs.readFileSync(keys.merchantPrivateKeyPath)) };
      const authorization = authorizationHeader(signer, { method: 'POST', pathWithQuery: '/v3/refund/domestic/refunds', body, nowMs: Date.now() });
      const applied = await request(`${s.url}/v3/refund/domestic/refunds`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
      expect(applied.status).toBe(200);

      await openConsole();
      const refund = card(paymentId).locator(`[data-refund="${outRefundNo}"]`);
      await expectText(refund, 'processing 退款中', '¥10.00', '少发一包', 'none yet');
      await refund.getByRole('button', { name: /^Abnormal/ }).click();
      await refund.and(page.locator('[data-status="ABNORMAL"]')).waitFor();
      await expectText(refund.locator('.delivery').nth(0), '#1', 'REFUND.ABNORMAL', 'accepted');
      expect(await refund.getByRole('button', { name: /^Abnormal/ }).count()).toBe(0);

      await refund.getByRole('button', { name: /^Succeed/ }).click();
      await refund.and(page.locator('[data-status="SUCCESS"]')).waitFor();
      await expectText(refund.locator('.delivery').nth(1), '#1', 'REFUND.SUCCESS', 'accepted');
      expect(await refund.getByRole('button').count()).toBe(0);
      await expectText(card(paymentId).locator('.refunds h3'), 'Refunds 退款 (1)', '¥10.00 refunded');
      expect(s.emulators.wxpayV3.listRefunds().find((r) => r.outRefundNo === outRefundNo)?.status).toBe('SUCCESS');
      expect(notified.received.map((n) => JSON.parse(n.rawBody.toString('utf8')).event_type)).toEqual(['REFUND.ABNORMAL', 'REFUND.SUCCESS']);
    } finally {
      await notified.close();
    }
  });

  test('takes the README screenshot (docs/sandbox-console.png; UPDATE_SCREENSHOT=1 rewrites it)', async () => {
    const { paymentId } = await placeAndPay('native', 1);
    await openConsole();
    await decodeQrIn(card(paymentId));
    await page.screenshot({ path: SCREENSHOT });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    if (SCREENSHOT !== README_SCREENSHOT) fs.rmSync(SCREENSHOT);
    expect(pageErrors).toEqual([]);
  });

  /** Waits until `where` shows every one of `texts` (the page updates about once a second). */
  async function expectText(where: Locator, ...texts: string[]): Promise<void> {
    const until = Date.now() + 5000;
    let seen = '';
    while (Date.now() < until) {
      seen = (await where.first().textContent()) ?? '';
      if (texts.every((t) => seen.includes(t))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`expected ${JSON.stringify(texts)} in: ${seen}`);
  }
});
