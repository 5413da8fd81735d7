import { AppError } from '../../cloudfunctions/common/errors';
import type { OrderDoc } from '../../cloudfunctions/common/orders/model';
import { AUTO_REFUND_REQUEST_ID, issueRefund, queryRefund, reconcileRefunds, refundPaidAfterClose } from '../../cloudfunctions/common/orders/refunds';
import { applyRefundReport } from '../../cloudfunctions/common/orders/refunds-report';
import { resolveRefundRequest } from '../../cloudfunctions/common/orders/refunds-resolve';
import { sweepExpiredOrders } from '../../cloudfunctions/common/orders/sweep';
import { testContext, type TestContext } from './fake-refund-provider';

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof AppError ? e.code : `thrown: ${(e as Error).message}`),
  );

describe('the refund life cycle (in-process database, fake provider)', () => {
  let t: TestContext;
  beforeEach(() => {
    t = testContext();
  });
  const stored = async (o: OrderDoc) => (await t.ctx.repo.get(o._id))!;
  const refund = (o: OrderDoc, amountFen: number, requestId: string) => issueRefund(t.ctx, o, { amountFen, requestId, requestedBy: 'merchant' });

  it('records the refund PROCESSING before the provider hears of it, with one out_refund_no', async () => {
    const order = await t.paidOrder(1000);
    let seenOnOrder: unknown;
    const apply = t.provider.refund.bind(t.provider);
    t.provider.refund = async (app) => {
      seenOnOrder = (await stored(order)).refunds?.map((r) => [r.outRefundNo, r.status]);
      return apply(app);
    };
    const { refund: r, order: after } = await refund(order, 300, 'req-1');
    expect(seenOnOrder).toEqual([[r.outRefundNo, 'PROCESSING']]);
    expect(t.provider.applications).toEqual([{ outTradeNo: order.outTradeNo, outRefundNo: r.outRefundNo, totalFen: 1000, amountFen: 300, transactionId: order.transactionId }]);
    expect(after).toMatchObject({ status: 'PAID', refundedFen: 0 });
    expect(r).toMatchObject({ status: 'PROCESSING', accepted: true, requestedBy: 'merchant', amountFen: 300 });
  });

  it('partial refunds keep the order PAID; the last one that reaches the paid amount makes it REFUNDED', async () => {
    const order = await t.paidOrder(1000);
    const a = (await refund(order, 300, 'a')).refund;
    const b = (await refund(order, 700, 'b')).refund;
    expect(await codeOf(refund(order, 1, 'c'))).toBe('REFUND_EXCEEDS_PAID');
    expect(t.provider.applications).toHaveLength(2);
    expect((await applyRefundReport(t.ctx, t.provider.settle(a.outRefundNo, 'SUCCESS'), 'notify')).outcome).toBe('APPLIED');
    expect(await stored(order)).toMatchObject({ status: 'PAID', refundedFen: 300 });
    expect((await applyRefundReport(t.ctx, t.provider.settle(b.outRefundNo, 'SUCCESS'), 'notify')).outcome).toBe('APPLIED');
    const done = await stored(order);
    expect(done).toMatchObject({ status: 'REFUNDED', refundedFen: 1000 });
    expect(done.refunds?.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(await codeOf(refund(order, 1, 'd'))).toBe('ORDER_NOT_PAID');
  });

  it('a CLOSED refund frees its amount again', async () => {
    const order = await t.paidOrder(500);
    const a = (await refund(order, 500, 'a')).refund;
    expect(await codeOf(refund(order, 1, 'b'))).toBe('REFUND_EXCEEDS_PAID');
    await applyRefundReport(t.ctx, t.provider.settle(a.outRefundNo, 'CLOSED'), 'query');
    const b = (await refund(order, 500, 'b')).refund;
    expect(b.outRefundNo).not.toBe(a.outRefundNo);
  });

  it('the same requestId returns the same refund, also concurrently; another amount with it is refused', async () => {
    const order = await t.paidOrder(1000);
    const results = await Promise.all(Array.from({ length: 8 }, () => refund(order, 400, 'same')));
    expect(new Set(results.map((r) => r.refund.refundId)).size).toBe(1);
    // Whoever recorded it sent it; the others saw its lease and did not send it again.
    expect(t.provider.applications).toHaveLength(1);
    expect(t.provider.refunds.size).toBe(1);
    expect((await stored(order)).refunds).toHaveLength(1);
    expect(await codeOf(refund(order, 401, 'same'))).toBe('INVALID_ARGUMENT');
  });

  it('concurrent different refunds never add up to more than was paid', async () => {
    const order = await t.paidOrder(1000);
    const codes = await Promise.all(Array.from({ length: 6 }, (_, i) => codeOf(refund(order, 300, `r${i}`))));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(3);
    expect(codes.filter((c) => c === 'REFUND_EXCEEDS_PAID')).toHaveLength(3);
    const s = await stored(order);
    expect(s.refunds?.reduce((n, r) => n + r.amountFen, 0)).toBe(900);
    expect(new Set(s.refunds?.map((r) => r.outRefundNo)).size).toBe(3);
  });

  it('refuses unpaid orders and what the provider cannot do, writing nothing', async () => {
    const pending = await t.paidOrder(1000, { status: 'PENDING' });
    expect(await codeOf(refund(pending, 100, 'x'))).toBe('ORDER_NOT_PAID');
    const paid = await t.paidOrder(1000);
    t.provider.partial = false;
    expect(await codeOf(refund(paid, 100, 'x'))).toBe('REFUND_UNAVAILABLE');
    // Recorded first, then taken off again: the provider never heard of it.
    expect(await stored(paid)).toMatchObject({ status: 'PAID', refundsRev: 2 });
    expect(await stored(paid)).not.toHaveProperty('refunds');
    expect(await stored(paid)).not.toHaveProperty('refundedFen');
    expect(await codeOf(refund(paid, 1000, 'y'))).toBe('ok');
    t.ctx.providers = { ...t.ctx.providers, forOrder: () => undefined };
    expect(await codeOf(refund(await t.paidOrder(), 100, 'z'))).toBe('REFUND_UNAVAILABLE');
    expect(t.provider.applications).toHaveLength(1);
  });

  it('each status change happens once however many reports race; repeats change nothing', async () => {
    const order = await t.paidOrder(1000);
    const r = (await refund(order, 1000, 'a')).refund;
    const report = t.provider.settle(r.outRefundNo, 'SUCCESS');
    const outcomes = await Promise.all([
      ...Array.from({ length: 6 }, () => applyRefundReport(t.ctx, report, 'notify')),
      ...Array.from({ length: 3 }, () => applyRefundReport(t.ctx, report, 'query')),
    ]);
    expect(outcomes.filter((o) => o.outcome === 'APPLIED')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'UNCHANGED')).toHaveLength(8);
    const s = await stored(order);
    expect(s).toMatchObject({ status: 'REFUNDED', refundedFen: 1000 });
    // A contradicting report for a final refund is refused.
    expect((await applyRefundReport(t.ctx, { ...report, status: 'CLOSED' }, 'notify')).outcome).toBe('CONFLICT');
    expect((await stored(order)).refundsRev).toBe(s.refundsRev);
  });

  it('refuses reports that do not match the stored refund, and unknown ones', async () => {
    const order = await t.paidOrder(1000);
    const r = (await refund(order, 300, 'a')).refund;
    const good = t.provider.settle(r.outRefundNo, 'SUCCESS');
    const before = await stored(order);
    expect((await applyRefundReport(t.ctx, { ...good, amountFen: 1000 }, 'notify')).outcome).toBe('MISMATCH');
    expect((await applyRefundReport(t.ctx, { ...good, totalFen: 999 }, 'notify')).outcome).toBe('MISMATCH');
    expect((await applyRefundReport(t.ctx, { ...good, outTradeNo: 'another-order' }, 'notify')).outcome).toBe('MISMATCH');
    expect((await applyRefundReport(t.ctx, { ...good, outRefundNo: `${r.outRefundNo}X` }, 'notify')).outcome).toBe('UNKNOWN_REFUND');
    expect(await stored(order)).toEqual(before);
  });

  it('ABNORMAL is not final: it can become SUCCESS', async () => {
    const order = await t.paidOrder(1000);
    const r = (await refund(order, 1000, 'a')).refund;
    expect((await applyRefundReport(t.ctx, t.provider.settle(r.outRefundNo, 'ABNORMAL'), 'notify')).outcome).toBe('APPLIED');
    expect(await stored(order)).toMatchObject({ status: 'PAID', refundedFen: 0 });
    expect((await applyRefundReport(t.ctx, t.provider.settle(r.outRefundNo, 'SUCCESS'), 'notify')).outcome).toBe('APPLIED');
    expect(await stored(order)).toMatchObject({ status: 'REFUNDED', refundedFen: 1000 });
  });

  it('a lost notification is settled by the rate-limited query, claimed by one caller', async () => {
    const order = await t.paidOrder(1000);
    const r = (await refund(order, 1000, 'a')).refund;
    t.provider.settle(r.outRefundNo, 'SUCCESS');
    // Not due yet: nobody asks.
    await reconcileRefunds(t.ctx, await stored(order));
    expect(t.provider.queries).toEqual([]);
    t.clock.now += 10_000;
    const due = await stored(order);
    const after = await Promise.all(Array.from({ length: 5 }, () => reconcileRefunds(t.ctx, due)));
    expect(t.provider.queries).toEqual([r.outRefundNo]);
    expect(after.some((o) => o.status === 'REFUNDED')).toBe(true);
    expect(await stored(order)).toMatchObject({ status: 'REFUNDED', refundedFen: 1000 });
  });

  it('an application that was never answered stays PROCESSING and is sent again, unchanged', async () => {
    const order = await t.paidOrder(1000);
    t.provider.next = 'unreachable';
    expect(await codeOf(refund(order, 600, 'a'))).toBe('PROVIDER_ERROR');
    const s = await stored(order);
    expect(s.refunds).toEqual([expect.objectContaining({ status: 'PROCESSING', amountFen: 600 })]);
    expect(s.refunds?.[0].accepted).toBeUndefined();
    // Its amount stays held meanwhile.
    expect(await codeOf(refund(order, 500, 'b'))).toBe('REFUND_EXCEEDS_PAID');
    // A retry with the same requestId sends the same application.
    const again = await refund(order, 600, 'a');
    expect(again.refund).toMatchObject({ accepted: true, outRefundNo: s.refunds?.[0].outRefundNo });
    expect(t.provider.applications.map((a) => a.outRefundNo)).toEqual([again.refund.outRefundNo, again.refund.outRefundNo]);
  });

  it('the timer run resends an application whose answer was lost, and the provider refunds it once', async () => {
    const order = await t.paidOrder(1000);
    t.provider.next = 'accept-then-unreachable';
    expect(await codeOf(refund(order, 1000, 'a'))).toBe('PROVIDER_ERROR');
    t.clock.now += 10_000;
    const sweep = await sweepExpiredOrders(t.ctx);
    expect(sweep.refundsChecked).toBe(1);
    expect(t.provider.applications).toHaveLength(2);
    expect(t.provider.refunds.size).toBe(1);
    const s = await stored(order);
    expect(s.refunds?.[0]).toMatchObject({ accepted: true, status: 'PROCESSING' });
    t.provider.settle(s.refunds![0].outRefundNo, 'SUCCESS');
    t.clock.now += 60_000;
    await sweepExpiredOrders(t.ctx);
    expect(await stored(order)).toMatchObject({ status: 'REFUNDED' });
  });

  it('a refusal the provider confirms (no such refund there) closes the refund with the reason', async () => {
    const order = await t.paidOrder(1000);
    t.provider.next = 'refuse';
    expect(await codeOf(refund(order, 1000, 'a'))).toBe('PROVIDER_ERROR');
    const s = await stored(order);
    expect(s.refunds?.[0]).toMatchObject({ status: 'CLOSED', failure: 'NOT_ENOUGH: 余额不足' });
    expect(await codeOf(refund(order, 1000, 'b'))).toBe('ok');
  });

  it('queryRefund asks now and reports the refund as it is', async () => {
    const order = await t.paidOrder(1000);
    const r = (await refund(order, 200, 'a')).refund;
    t.provider.settle(r.outRefundNo, 'SUCCESS');
    const q = await queryRefund(t.ctx, await stored(order), r.refundId);
    expect(q.refund).toMatchObject({ status: 'SUCCESS', succeededAt: 1_700_000_000_000 });
    expect(await codeOf(queryRefund(t.ctx, q.order, 'nope'))).toBe('NOT_FOUND');
  });

  it('a payment after close is refunded in full once, by whoever flags it first or by the timer run', async () => {
    const closed = await t.paidOrder(800, { status: 'CLOSED', closeReason: 'EXPIRED', paidAfterClose: { at: t.clock.now, transactionId: '4200x', amountFen: 800 } });
    const results = await Promise.all([refundPaidAfterClose(t.ctx, closed), refundPaidAfterClose(t.ctx, closed)]);
    expect(results[0].refunds).toBeDefined();
    const s = await stored(closed);
    expect(s.refunds).toEqual([expect.objectContaining({ requestedBy: 'auto', amountFen: 800, requestId: AUTO_REFUND_REQUEST_ID })]);
    expect(t.provider.applications).toHaveLength(1);
    await applyRefundReport(t.ctx, t.provider.settle(s.refunds![0].outRefundNo, 'SUCCESS'), 'notify');
    expect(await stored(closed)).toMatchObject({ status: 'CLOSED', refundedFen: 800 });

    // Died before the refund was recorded: the timer run does it.
    const missed = await t.paidOrder(500, { status: 'CLOSED', closeReason: 'CANCELLED', paidAfterClose: { at: t.clock.now, amountFen: 500 } });
    await sweepExpiredOrders(t.ctx);
    expect((await stored(missed)).refunds).toEqual([expect.objectContaining({ requestedBy: 'auto', amountFen: 500 })]);
  });

  it('AUTO_REFUND_PAID_AFTER_CLOSE=false leaves it to the merchant', async () => {
    t = testContext({ AUTO_REFUND_PAID_AFTER_CLOSE: 'false' });
    const closed = await t.paidOrder(800, { status: 'CLOSED', paidAfterClose: { at: t.clock.now, amountFen: 800 } });
    await refundPaidAfterClose(t.ctx, closed);
    await sweepExpiredOrders(t.ctx);
    expect((await stored(closed)).refunds).toBeUndefined();
    expect(await codeOf(refund(closed, 800, 'by-hand'))).toBe('ok');
  });

  describe("the payer's request", () => {
    const withRequest = () => t.paidOrder(1000, { refundRequest: { reason: '买错了', requestedAt: t.clock.now - 1000, status: 'OPEN' } });

    it('approved: refunds what is left, once, and marks the request APPROVED', async () => {
      const order = await withRequest();
      await refund(order, 100, 'earlier');
      const fresh = await stored(order);
      const [a, b] = await Promise.all([resolveRefundRequest(t.ctx, fresh, { approve: true, note: '已同意' }), resolveRefundRequest(t.ctx, fresh, { approve: true })]);
      expect(a.refund?.refundId).toBe(b.refund?.refundId);
      const s = await stored(order);
      expect(s.refunds?.map((r) => r.amountFen)).toEqual([100, 900]);
      expect(s.refunds?.[1].reason).toBe('买错了');
      expect(s.refundRequest).toMatchObject({ status: 'APPROVED', resolvedAt: t.clock.now });
      expect(await codeOf(resolveRefundRequest(t.ctx, s, { approve: false }))).toBe('INVALID_ARGUMENT');
    });

    it('rejected: records the note, and a racing approval loses', async () => {
      const order = await withRequest();
      const [rej, app] = await Promise.all([codeOf(resolveRefundRequest(t.ctx, order, { approve: false, note: '已发货' })), codeOf(resolveRefundRequest(t.ctx, order, { approve: true }))]);
      const s = await stored(order);
      if (s.refundRequest?.status === 'REJECTED') {
        expect([rej, app]).toEqual(['ok', 'INVALID_ARGUMENT']);
        expect(s.refunds).toBeUndefined();
        expect(s.refundRequest.note).toBe('已发货');
      } else {
        expect([rej, app]).toEqual(['INVALID_ARGUMENT', 'ok']);
        expect(s.refunds).toHaveLength(1);
      }
    });
  });
});
