import * as fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PayData } from '../../typings/checkout';
import { postJson, startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';

/** The console's Fulfilment section in Chromium: a shipped order, and the payer's 确认收货 from its button. */

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) {
  test('Chromium is installed', () => {
    throw new Error(`The console test needs Chromium at ${CHROMIUM}: apt-get install chromium`);
  });
}

(hasChromium ? describe : describe.skip)('console: fulfilment', () => {
  const alice = 'openid-console-receipt';
  const staff = 'openid-console-staff';
  let s: TestSandbox;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    s = await startTestSandbox({ MERCHANT_OPENIDS: staff });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('shows the hooks, the shipping and WeChat\'s order_state, and plays the payer confirming receipt', async () => {
    const { order } = await s.ok(alice, { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] });
    const paid = (await s.ok(alice, { action: 'pay', orderId: order.orderId, method: 'wechat' })) as Extract<PayData, { method: 'wechat' }>;
    await s.post('/sandbox/api/wxpay/request-payment', { params: paid.payment, outcome: 'pay' });
    await waitForStatus(s, alice, order.orderId, 'PAID');
    const shipped = await postJson(`${s.url}/api/merchant`, { action: 'ship', orderId: order.orderId, logistics: 'EXPRESS', trackingNo: 'SF777', expressCompany: 'SF' }, { 'X-WX-OPENID': staff });
    expect(shipped.body.ok).toBe(true);

    await page.goto(`${s.url}/`);
    const row = page.locator(`tr[data-fulfilment="${order.orderId}"]`);
    await row.locator('button.confirm-receipt').waitFor({ timeout: 10_000 });
    const text = await row.innerText();
    expect(text).toContain('shipped 已发货');
    expect(text).toContain('goods: done, 1 attempt(s)');
    expect(text).toContain('express 快递 SF SF777');
    expect(text).toContain('order_state 2 已发货');

    await row.locator('button.confirm-receipt').click();
    await row.getByText('order_state 3 确认收货').waitFor({ timeout: 10_000 });
    expect(await row.locator('button.confirm-receipt').count()).toBe(0);
    // The payer's app then asks the server, which asks WeChat.
    const { order: received } = await s.ok(alice, { action: 'confirmReceipt', orderId: order.orderId });
    expect(received.fulfilment?.state).toBe('RECEIVED');
    await row.getByText('received 已收货').waitFor({ timeout: 10_000 });
    expect(pageErrors).toEqual([]);
  });
});
