import { handleMerchant } from '../../cloudfunctions/merchant/src/handler';
import type { Database } from '../../cloudfunctions/common/db/types';
import { OrderRepository } from '../../cloudfunctions/common/orders/repository';
import { startContext } from '../../cloudfunctions/common/start';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';
import { testContext, type TestContext } from './fake-refund-provider';

describe('the merchant function', () => {
  let t: TestContext;
  let touched: string[];
  beforeEach(() => {
    t = testContext({ MERCHANT_OPENIDS: ' staff-1 , staff-2 ' });
    touched = [];
    // Every collection the function opens is recorded: FORBIDDEN must come before any of them.
    const db = t.ctx.db;
    const spy: Database = {
      get command() {
        return db.command;
      },
      collection: (name) => {
        touched.push(name);
        return db.collection(name);
      },
      runTransaction: (callback, times) => {
        touched.push('(transaction)');
        return db.runTransaction(callback, times);
      },
    };
    t.ctx = { ...t.ctx, db: spy, repo: new OrderRepository(spy) };
  });
  const call = (openid: string | undefined, event: unknown) => handleMerchant(event, openid, t.ctx) as Promise<any>;

  it('answers anyone not on MERCHANT_OPENIDS with FORBIDDEN, before reading anything', async () => {
    const order = await t.paidOrder(1000);
    touched = [];
    for (const event of [
      { action: 'listOrders' },
      { action: 'getOrder', orderId: order._id },
      { action: 'refund', orderId: order._id, amountFen: 1000, requestId: 'r1' },
      { action: 'queryRefund', orderId: order._id, refundId: 'x' },
      { action: 'resolveRefundRequest', orderId: order._id, approve: true },
      { action: 'refund', orderId: 'not valid!' },
      { action: 'nothing' },
      'not even an object',
    ]) {
      expect(await call('payer-1', event)).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
    }
    expect(touched).toEqual([]);
    expect(t.provider.applications).toEqual([]);
    expect(await call(undefined, { action: 'listOrders' })).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it('whoami answers everyone, and is never FORBIDDEN', async () => {
    expect(await call('payer-1', { action: 'whoami' })).toEqual({ ok: true, data: { merchant: false } });
    expect(await call('staff-2', { action: 'whoami' })).toEqual({ ok: true, data: { merchant: true } });
    expect(touched).toEqual([]);
  });

  it('lists every user\'s orders newest first, page by page with an opaque cursor, and filters them', async () => {
    const orders = [];
    for (let i = 0; i < 5; i++) orders.push(await t.paidOrder(100 + i, { _openid: `payer-${i}` }));
    await t.paidOrder(50, { status: 'PENDING' });
    const withRequest = await t.paidOrder(300, { refundRequest: { reason: '坏了', requestedAt: 1, status: 'OPEN' } });
    const first = await call('staff-1', { action: 'listOrders', limit: 3 });
    expect(first.ok).toBe(true);
    const all = [...first.data.orders];
    let cursor = first.data.nextCursor;
    while (cursor) {
      const page = await call('staff-1', { action: 'listOrders', limit: 3, cursor });
      all.push(...page.data.orders);
      cursor = page.data.nextCursor;
    }
    expect(all).toHaveLength(7);
    expect(all.map((o: { createdAt: number }) => o.createdAt)).toEqual([...all.map((o: { createdAt: number }) => o.createdAt)].sort((a, b) => b - a));
    expect(all[all.length - 1]).toMatchObject({ orderId: orders[0]._id, openid: 'payer-0', transactionId: orders[0].transactionId });

    const paid = await call('staff-1', { action: 'listOrders', status: 'PENDING' });
    expect(paid.data.orders.map((o: { status: string }) => o.status)).toEqual(['PENDING']);
    const requested = await call('staff-1', { action: 'listOrders', refund: 'REQUESTED' });
    expect(requested.data.orders.map((o: { orderId: string }) => o.orderId)).toEqual([withRequest._id]);

    // Filters combine with each other and with the cursor.
    const paidPage = await call('staff-1', { action: 'listOrders', status: 'PAID', limit: 2 });
    const paidNext = await call('staff-1', { action: 'listOrders', status: 'PAID', limit: 2, cursor: paidPage.data.nextCursor });
    const paidIds = [...paidPage.data.orders, ...paidNext.data.orders].map((o: { orderId: string }) => o.orderId);
    expect(paidIds).toEqual([withRequest._id, orders[4]._id, orders[3]._id, orders[2]._id]);
    const both = await call('staff-1', { action: 'listOrders', status: 'PAID', refund: 'REQUESTED', cursor: first.data.nextCursor });
    expect(both.data.orders).toEqual([]);

    await call('staff-1', { action: 'refund', orderId: orders[2]._id, amountFen: 10, requestId: 'p' });
    const processing = await call('staff-1', { action: 'listOrders', refund: 'PROCESSING' });
    expect(processing.data.orders.map((o: { orderId: string }) => o.orderId)).toEqual([orders[2]._id]);
    expect(processing.data.orders[0].refunds[0]).not.toHaveProperty('requestId');
    expect(processing.data.orders[0].refunds[0]).not.toHaveProperty('accepted');
  });

  it('shows what needs reconciling and payment anomalies, without internal messages, and filters on them', async () => {
    const secret = 'connect ECONNRESET 10.0.0.7:443 key=/etc/wxpay/apiclient_key.pem';
    const unverified = await t.paidOrder(100, {
      status: 'PENDING',
      needsReconciliation: { since: 7, attempts: 3, lastError: secret, cause: 'PROVIDER_REFUSED', providerCode: 'SYSTEMERROR' },
    });
    const anomaly = { at: 9, via: 'notify' as const, state: 'SUCCESS', amountFen: 101, mchid: '1900000109', appid: 'wx0123456789abcdef', transactionId: '4200000001' };
    const mismatched = await t.paidOrder(100, { status: 'PENDING', paymentAnomalies: [anomaly] });
    await t.paidOrder(100);

    const reconcile = await call('staff-1', { action: 'listOrders', attention: 'RECONCILE' });
    expect(reconcile.data.orders.map((o: { orderId: string }) => o.orderId)).toEqual([unverified._id]);
    expect(reconcile.data.orders[0].needsReconciliation).toEqual({ since: 7, attempts: 3, cause: 'PROVIDER_REFUSED', providerCode: 'SYSTEMERROR' });
    expect(JSON.stringify(reconcile)).not.toMatch(/ECONNRESET|10\.0\.0\.7|apiclient_key|lastError/);

    const anomalies = await call('staff-1', { action: 'listOrders', attention: 'ANOMALY' });
    expect(anomalies.data.orders.map((o: { orderId: string }) => o.orderId)).toEqual([mismatched._id]);
    expect(anomalies.data.orders[0].paymentAnomalies).toEqual([anomaly]);
    // Combined with another filter, both must hold.
    expect((await call('staff-1', { action: 'listOrders', attention: 'ANOMALY', status: 'PAID' })).data.orders).toEqual([]);
    expect(await call('staff-1', { action: 'listOrders', attention: 'LATE' })).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('attention') } });
  });

  it('refuses bad events with INVALID_ARGUMENT naming the field', async () => {
    const order = await t.paidOrder(1000);
    const bad = [
      [{ action: 'listOrders', limit: 0 }, 'limit'],
      [{ action: 'listOrders', status: 'LOST' }, 'status'],
      [{ action: 'listOrders', refund: 'SUCCESS' }, 'refund'],
      [{ action: 'listOrders', cursor: 'garbage' }, 'cursor'],
      [{ action: 'refund', orderId: order._id, amountFen: 1.5, requestId: 'r' }, 'amountFen'],
      [{ action: 'refund', orderId: order._id, amountFen: '100', requestId: 'r' }, 'amountFen'],
      [{ action: 'refund', orderId: order._id, amountFen: 100, requestId: 'x'.repeat(65) }, 'requestId'],
      [{ action: 'refund', orderId: order._id, amountFen: 100 }, 'requestId'],
      [{ action: 'refund', orderId: order._id, amountFen: 100, requestId: 'r', reason: 'x'.repeat(81) }, 'reason'],
      // 27 characters, 81 bytes: WeChat Pay counts bytes.
      [{ action: 'refund', orderId: order._id, amountFen: 100, requestId: 'r', reason: '缺'.repeat(27) }, 'reason'],
      [{ action: 'resolveRefundRequest', orderId: order._id }, 'approve'],
      [{ action: 'resolveRefundRequest', orderId: order._id, approve: false, amountFen: 5 }, 'amountFen'],
    ] as const;
    for (const [event, field] of bad) {
      const r = await call('staff-1', event);
      expect({ field, r }).toEqual({ field, r: { ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining(field) } } });
    }
    expect((await t.ctx.repo.get(order._id))?.refunds).toBeUndefined();
    expect(await call('staff-1', { action: 'getOrder', orderId: 'ab'.repeat(16) })).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('refunds, queries and resolves requests through the contract', async () => {
    const order = await t.paidOrder(1000, { refundRequest: { reason: '不要了', requestedAt: 5, status: 'OPEN' } });
    const r = await call('staff-1', { action: 'refund', orderId: order._id, amountFen: 400, requestId: 'first', reason: '缺货' });
    expect(r).toMatchObject({ ok: true, data: { refund: { amountFen: 400, status: 'PROCESSING', reason: '缺货', requestedBy: 'merchant' }, order: { status: 'PAID', refundedFen: 0 } } });
    t.provider.settle(r.data.refund.outRefundNo, 'SUCCESS');
    const q = await call('staff-1', { action: 'queryRefund', orderId: order._id, refundId: r.data.refund.refundId });
    expect(q.data).toMatchObject({ refund: { status: 'SUCCESS' }, order: { refundedFen: 400 } });
    const approved = await call('staff-1', { action: 'resolveRefundRequest', orderId: order._id, approve: true });
    expect(approved.data).toMatchObject({ refund: { amountFen: 600 }, order: { refundRequest: { status: 'APPROVED' } } });
    expect(await call('staff-1', { action: 'refund', orderId: order._id, amountFen: 1, requestId: 'more' })).toMatchObject({ error: { code: 'REFUND_EXCEEDS_PAID' } });
  });

  it('approving a request whose reason is longer than WeChat Pay takes sends its first 80 bytes', async () => {
    const order = await t.paidOrder(1000, { refundRequest: { reason: '坏'.repeat(80), requestedAt: 5, status: 'OPEN' } });
    const approved = await call('staff-1', { action: 'resolveRefundRequest', orderId: order._id, approve: true });
    expect(approved).toMatchObject({ ok: true, data: { refund: { amountFen: 1000, reason: '坏'.repeat(26) } } });
    expect(t.provider.applications.map((a) => a.reason)).toEqual(['坏'.repeat(26)]);
  });
});

describe('MERCHANT_OPENIDS', () => {
  it('is validated at start, naming the variable', () => {
    const ctx = startContext(createMemoryDatabase(), { PAYJS_MCHID: '1', PAYJS_KEY: 'k', PAYJS_NOTIFY_URL: 'https://example.com/n', MERCHANT_OPENIDS: 'ok-1,not ok' });
    expect(ctx).toMatchObject({ code: 'CONFIG_ERROR', message: expect.stringContaining('MERCHANT_OPENIDS') });
    const flag = startContext(createMemoryDatabase(), { PAYJS_MCHID: '1', PAYJS_KEY: 'k', PAYJS_NOTIFY_URL: 'https://example.com/n', AUTO_REFUND_PAID_AFTER_CLOSE: 'no' });
    expect(flag).toMatchObject({ code: 'CONFIG_ERROR', message: expect.stringContaining('AUTO_REFUND_PAID_AFTER_CLOSE') });
  });

  it('unset means no staff: everyone is FORBIDDEN', async () => {
    const ctx = startContext(createMemoryDatabase(), { PAYJS_MCHID: '1', PAYJS_KEY: 'k', PAYJS_NOTIFY_URL: 'https://example.com/n' });
    expect(await handleMerchant({ action: 'listOrders' }, 'anyone', ctx)).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });
});
