import * as crypto from 'node:crypto';
import type { Where } from '../db/types';
import { AppError, ProviderError } from '../errors';
import type { RefundApplication, RefundReport } from '../payment/refund';
import type { OrderContext } from './context';
import { ORDERS, providerOrderIdOf, type OrderDoc, type RefundDoc } from './model';
import { refundProviderFor, type RefundProvider } from './refunds-provider';
import { changeRefunds, committedFen, isOpenRefund, paidFen } from './refunds-store';

/**
 * The refund life cycle. A refund is recorded on its order (PROCESSING, its out_refund_no fixed) before
 * the provider hears of it, so a crash or a timeout can only leave a refund that is sent again with
 * the same number, never a second one. Its outcome comes from verified reports only: the answer to the
 * application, notifications and active queries, all applied by applyRefundReport.
 */

/** WeChat Pay v2 takes at most 50 refunds per order. */
export const MAX_REFUNDS_PER_ORDER = 50;
/** Delays between active queries of an order's open refunds; the first comes this long after applying. */
const REFUND_QUERY_DELAYS_MS = [10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000];
export const AUTO_REFUND_REQUEST_ID = 'auto-paid-after-close';
/** How long one caller has to send an application (with its retries) before another may send it again. */
const APPLY_LEASE_MS = 30_000;
const AUTO_REFUND_REASON = '订单已关闭，款项自动退回';

export const refundQueryDelayMs = (count: number): number => REFUND_QUERY_DELAYS_MS[Math.min(count, REFUND_QUERY_DELAYS_MS.length - 1)];

function providerOrRefuse(ctx: OrderContext, order: OrderDoc): RefundProvider {
  const provider = refundProviderFor(ctx, order);
  if (!provider) throw new AppError('REFUND_UNAVAILABLE', 'This order was paid with a provider that is not configured on this deployment.');
  return provider;
}

function application(order: OrderDoc, refund: RefundDoc): RefundApplication {
  const app: RefundApplication = { outTradeNo: order.outTradeNo, outRefundNo: refund.outRefundNo, totalFen: paidFen(order), amountFen: refund.amountFen };
  if (refund.reason) app.reason = refund.reason;
  const providerOrderId = providerOrderIdOf(order);
  if (providerOrderId) app.providerOrderId = providerOrderId;
  const transactionId = order.transactionId ?? order.paidAfterClose?.transactionId;
  if (transactionId) app.transactionId = transactionId;
  return app;
}

export interface IssueRequest {
  amountFen: number;
  requestId: string;
  requestedBy: RefundDoc['requestedBy'];
  reason?: string;
  /** Written with the new refund, in the same update (e.g. approving the payer's request). */
  patch?: Partial<OrderDoc>;
  /** Conditions that must still hold when the refund is added: checked on every read, and by the write. */
  expect?: Where;
  precondition?(order: OrderDoc): void;
}

export interface IssueResult {
  order: OrderDoc;
  refund: RefundDoc;
}

/**
 * Refunds part or all of a paid order. The same requestId returns the same refund (another amount with
 * it is INVALID_ARGUMENT); the refunds not CLOSED never add up to more than was paid.
 */
export async function issueRefund(ctx: OrderContext, order: OrderDoc, req: IssueRequest): Promise<IssueResult> {
  const provider = providerOrRefuse(ctx, order);
  const now = ctx.now();
  const change = await changeRefunds(ctx, order, (o) => {
    const refunds = o.refunds ?? [];
    const existing = refunds.find((r) => r.requestId === req.requestId);
    if (existing) {
      if (existing.amountFen !== req.amountFen) {
        throw new AppError('INVALID_ARGUMENT', `requestId ${req.requestId} already refunded ${existing.amountFen} fen; use a new requestId for another refund.`);
      }
      return { write: false, value: existing };
    }
    req.precondition?.(o);
    const paid = paidFen(o);
    if (paid === 0 || o.status === 'REFUNDED') throw new AppError('ORDER_NOT_PAID', o.status === 'REFUNDED' ? 'This order is already refunded in full.' : 'Only a paid order can be refunded.');
    const left = paid - committedFen(o);
    if (req.amountFen > left) throw new AppError('REFUND_EXCEEDS_PAID', `Only ${left} of the ${paid} fen paid can still be refunded.`);
    if (refunds.length >= MAX_REFUNDS_PER_ORDER) throw new AppError('INVALID_ARGUMENT', `An order can have at most ${MAX_REFUNDS_PER_ORDER} refunds.`);
    const refund: RefundDoc = {
      refundId: crypto.randomBytes(8).toString('hex'),
      // The order's number and a sequence: unique at the merchant, ≤ 64 of [0-9A-Za-z_-|*@].
      outRefundNo: `${o.outTradeNo}R${String(refunds.length + 1).padStart(2, '0')}`,
      amountFen: req.amountFen,
      status: 'PROCESSING',
      requestedBy: req.requestedBy,
      createdAt: now,
      updatedAt: now,
      requestId: req.requestId,
      // Whoever records it sends it: concurrent retries see the lease and do not send it a second time.
      applyingUntil: now + APPLY_LEASE_MS,
    };
    if (req.reason) refund.reason = req.reason;
    return {
      write: true,
      refunds: [...refunds, refund],
      patch: { ...req.patch, refundQueryAt: now + refundQueryDelayMs(0), refundQueryCount: 0 },
      expect: req.expect,
      value: refund,
    };
  });
  const refund = change.value;
  // Not yet answered (new, or an earlier attempt failed): send it, the same application every time.
  if (refund.accepted || refund.status !== 'PROCESSING') return { order: change.order, refund };
  if (change.wrote) return submit(ctx, provider, change.order, refund, true);
  const claim = await claimApplication(ctx, change.order, refund);
  if (!claim.claimed) return { order: claim.order, refund: refundIn(claim.order, refund) };
  return submit(ctx, provider, claim.order, refundIn(claim.order, refund));
}

/**
 * The right to send a refund's application now, claimed by compare-and-set (one sender at a time);
 * not claimed when it was answered meanwhile or another caller is sending it.
 */
async function claimApplication(ctx: OrderContext, order: OrderDoc, refund: RefundDoc): Promise<{ order: OrderDoc; claimed: boolean }> {
  const now = ctx.now();
  const change = await changeRefunds(ctx, order, (o) => {
    const refunds = o.refunds ?? [];
    const r = refunds.find((x) => x.outRefundNo === refund.outRefundNo);
    if (!r || r.accepted || r.status !== 'PROCESSING' || (r.applyingUntil ?? 0) > now) return { write: false, value: false };
    return { write: true, refunds: refunds.map((x) => (x === r ? { ...x, applyingUntil: now + APPLY_LEASE_MS } : x)), value: true };
  });
  return { order: change.order, claimed: change.value };
}

/** Gives the lease back after an application that got no answer, so a retry can send it at once. */
async function releaseApplication(ctx: OrderContext, order: OrderDoc, refund: RefundDoc): Promise<void> {
  await changeRefunds(ctx, order, (o) => {
    const refunds = o.refunds ?? [];
    const r = refunds.find((x) => x.outRefundNo === refund.outRefundNo);
    if (!r || r.accepted || r.applyingUntil === undefined) return { write: false, value: undefined };
    const { applyingUntil: _released, ...rest } = r;
    return { write: true, refunds: refunds.map((x) => (x === r ? rest : x)), value: undefined };
  });
}

/** The refund as stored now (the order may have moved on). */
function refundIn(order: OrderDoc, refund: RefundDoc): RefundDoc {
  return order.refunds?.find((r) => r.outRefundNo === refund.outRefundNo) ?? refund;
}

/**
 * Sends the application (again, unchanged) and applies the answer; the caller holds its lease. A refusal is confirmed with a query
 * before the refund is CLOSED: only a refund the provider does not have frees its amount. A refund the
 * provider cannot take at all (REFUND_UNAVAILABLE: nothing was sent) is taken off the order again when
 * this was its first application (`first`), so the refusal leaves nothing behind.
 */
async function submit(ctx: OrderContext, provider: RefundProvider, order: OrderDoc, refund: RefundDoc, first = false): Promise<IssueResult> {
  const app = application(order, refund);
  let report: RefundReport | undefined;
  try {
    report = await provider.apply(app);
  } catch (err) {
    if (err instanceof AppError && err.code === 'REFUND_UNAVAILABLE') {
      await (first ? withdraw(ctx, order, refund) : releaseApplication(ctx, order, refund));
      throw err;
    }
    if (!(err instanceof ProviderError) || err.retryable) {
      console.warn('[refund] application not answered; it is sent again later', refund.outRefundNo, (err as Error).message);
      await releaseApplication(ctx, order, refund);
      throw err instanceof AppError ? err : new ProviderError(`the refund is recorded but the provider could not be reached: ${(err as Error).message}`, undefined, true);
    }
    report = await provider.query(app).catch(async () => {
      await releaseApplication(ctx, order, refund);
      throw err;
    });
    if (!report) {
      await closeRefused(ctx, order, refund, err);
      throw err;
    }
  }
  const applied = await applyRefundReport(ctx, report, 'apply', order);
  const current = applied.order ?? order;
  return { order: current, refund: refundIn(current, refund) };
}

/** Removes a refund the provider never received (its only application was refused before sending). */
async function withdraw(ctx: OrderContext, order: OrderDoc, refund: RefundDoc): Promise<void> {
  await changeRefunds(ctx, order, (o) => {
    const refunds = o.refunds ?? [];
    const r = refunds.find((x) => x.outRefundNo === refund.outRefundNo);
    if (!r || r.accepted || r.status !== 'PROCESSING') return { write: false, value: undefined };
    return { write: true, refunds: refunds.filter((x) => x !== r), value: undefined };
  });
}

/** PROCESSING (never accepted) → CLOSED, with the provider's reason, so its amount is free again. */
async function closeRefused(ctx: OrderContext, order: OrderDoc, refund: RefundDoc, err: ProviderError): Promise<void> {
  console.error('[refund] refused by the provider', refund.outRefundNo, err.providerCode, err.message);
  const now = ctx.now();
  const failure = err.providerCode ? `${err.providerCode}: ${err.message}` : err.message;
  await changeRefunds(ctx, order, (o) => {
    const r = (o.refunds ?? []).find((x) => x.outRefundNo === refund.outRefundNo);
    if (!r || r.accepted || r.status !== 'PROCESSING') return { write: false, value: undefined };
    return { write: true, refunds: (o.refunds ?? []).map((x) => (x === r ? { ...x, status: 'CLOSED' as const, failure, updatedAt: now } : x)), value: undefined };
  });
}

export type RefundOutcome =
  /** This report changed the refund's status. */
  | 'APPLIED'
  /** The refund already has this status (a repeat): nothing changed. */
  | 'UNCHANGED'
  /** No refund with this out_refund_no. */
  | 'UNKNOWN_REFUND'
  /** Verified, but for another order or amount than the stored refund: refused, nothing changed. */
  | 'MISMATCH'
  /** The refund is final with another status: refused, nothing changed (and logged). */
  | 'CONFLICT';

async function findByOutRefundNo(ctx: OrderContext, outRefundNo: string): Promise<OrderDoc | undefined> {
  const { data } = await ctx.db.collection(ORDERS).where({ 'refunds.outRefundNo': outRefundNo }).limit(1).get();
  return data[0] as unknown as OrderDoc | undefined;
}

function mismatchOf(order: OrderDoc, refund: RefundDoc, report: RefundReport): string | undefined {
  if (report.outTradeNo !== undefined && report.outTradeNo !== order.outTradeNo) return `out_trade_no ${report.outTradeNo} is not ${order.outTradeNo}`;
  if (report.amountFen !== undefined && report.amountFen !== refund.amountFen) return `refund amount ${report.amountFen} is not ${refund.amountFen}`;
  if (report.totalFen !== undefined && report.totalFen !== paidFen(order)) return `order total ${report.totalFen} is not ${paidFen(order)}`;
  return undefined;
}

/**
 * Applies a verified provider statement about a refund: found by out_refund_no, checked against the
 * stored refund, then its status changed by one compare-and-set. SUCCESS and CLOSED are final;
 * ABNORMAL can still become anything (PROCESSING again when the merchant retries it).
 */
export async function applyRefundReport(
  ctx: OrderContext,
  report: RefundReport,
  via: 'notify' | 'query' | 'apply',
  known?: OrderDoc,
): Promise<{ outcome: RefundOutcome; order?: OrderDoc; refund?: RefundDoc }> {
  const order = known?.refunds?.some((r) => r.outRefundNo === report.outRefundNo) ? known : await findByOutRefundNo(ctx, report.outRefundNo);
  if (!order) return { outcome: 'UNKNOWN_REFUND' };
  const now = ctx.now();
  const change = await changeRefunds(ctx, order, (o) => {
    const refunds = o.refunds ?? [];
    const r = refunds.find((x) => x.outRefundNo === report.outRefundNo);
    if (!r) return { write: false, value: 'UNKNOWN_REFUND' as RefundOutcome };
    const mismatch = mismatchOf(o, r, report);
    if (mismatch) {
      console.error(`[refund] ${via} report refused: ${mismatch}`, { outRefundNo: r.outRefundNo });
      return { write: false, value: 'MISMATCH' as RefundOutcome };
    }
    // Any verified statement about the refund proves the provider has it: no more sending, no lease.
    const { applyingUntil: _lease, ...held } = r;
    const known: RefundDoc = { ...held, accepted: true, ...(report.providerRefundId ? { providerRefundId: report.providerRefundId } : {}), updatedAt: now };
    const learns = !r.accepted || (report.providerRefundId !== undefined && report.providerRefundId !== r.providerRefundId);
    if (r.status === report.status) {
      if (!learns) return { write: false, value: 'UNCHANGED' as RefundOutcome };
      return { write: true, refunds: refunds.map((x) => (x === r ? known : x)), value: 'UNCHANGED' as RefundOutcome };
    }
    if (!isOpenRefund(r)) {
      console.error(`[refund] ${via} report says ${report.status} for a refund already ${r.status}: refused`, { outRefundNo: r.outRefundNo });
      return { write: false, value: 'CONFLICT' as RefundOutcome };
    }
    const next: RefundDoc = { ...known, status: report.status };
    if (report.status === 'SUCCESS') next.succeededAt = report.succeededAt ?? now;
    return { write: true, refunds: refunds.map((x) => (x === r ? next : x)), value: 'APPLIED' as RefundOutcome };
  });
  if (change.value === 'APPLIED' && change.wrote) console.log(`[refund] ${report.outRefundNo} → ${report.status} (${via})`);
  const refund = change.order.refunds?.find((x) => x.outRefundNo === report.outRefundNo);
  // A write that lost to an identical one reports what it found: the repeat changed nothing.
  return { outcome: change.wrote ? change.value : change.value === 'APPLIED' ? 'UNCHANGED' : change.value, order: change.order, refund };
}

/** Asks the provider about one open refund (sending its application again if it was never answered). */
async function settleOne(ctx: OrderContext, provider: RefundProvider, order: OrderDoc, refund: RefundDoc): Promise<OrderDoc> {
  if (!refund.accepted) {
    const claim = await claimApplication(ctx, order, refund);
    return claim.claimed ? (await submit(ctx, provider, claim.order, refundIn(claim.order, refund))).order : claim.order;
  }
  const report = await provider.query(application(order, refund));
  if (!report) {
    console.error('[refund] the provider does not know an accepted refund', refund.outRefundNo);
    return order;
  }
  return (await applyRefundReport(ctx, report, 'query', order)).order ?? order;
}

/**
 * Brings an order's open refunds up to date with the provider when the shared schedule allows it (one
 * caller per slot, claimed by a conditional update), so a lost notification never leaves a refund
 * PROCESSING for good. Failures are logged; the caller gets the order as it is.
 */
export async function reconcileRefunds(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  const open = (order.refunds ?? []).filter(isOpenRefund);
  const now = ctx.now();
  if (open.length === 0 || now < (order.refundQueryAt ?? 0)) return order;
  const provider = refundProviderFor(ctx, order);
  if (!provider) return order;
  const count = order.refundQueryCount ?? 0;
  const _ = ctx.db.command;
  const claimed = await ctx.repo.updateIf(
    order._id,
    order.status,
    { refundQueryAt: now + refundQueryDelayMs(count + 1), refundQueryCount: count + 1 },
    { refundQueryCount: order.refundQueryCount === undefined ? _.exists(false) : count },
  );
  if (!claimed) return (await ctx.repo.get(order._id)) ?? order;
  let current = order;
  for (const refund of open) {
    try {
      current = await settleOne(ctx, provider, current, refundIn(current, refund));
    } catch (err) {
      console.warn('[refund] query failed', refund.outRefundNo, (err as Error).message);
    }
  }
  return (await ctx.repo.get(order._id)) ?? current;
}

/** The merchant asks about one refund now (no schedule: staff only, one refund). */
export async function queryRefund(ctx: OrderContext, order: OrderDoc, refundId: string): Promise<IssueResult> {
  const refund = order.refunds?.find((r) => r.refundId === refundId);
  if (!refund) throw new AppError('NOT_FOUND', 'This order has no such refund.');
  if (!isOpenRefund(refund)) return { order, refund };
  const current = await settleOne(ctx, providerOrRefuse(ctx, order), order, refund);
  return { order: current, refund: refundIn(current, refund) };
}

/**
 * A payment that landed on an order already closed goes back to the payer in full, without anyone
 * asking, unless AUTO_REFUND_PAID_AFTER_CLOSE=false. Idempotent (one automatic refund per order);
 * failures are logged and left to the timer run, never to the caller.
 */
export async function refundPaidAfterClose(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  if (!ctx.config.autoRefundPaidAfterClose || order.status !== 'CLOSED' || !order.paidAfterClose) return order;
  const existing = order.refunds?.find((r) => r.requestId === AUTO_REFUND_REQUEST_ID);
  if (existing) return order;
  const left = paidFen(order) - committedFen(order);
  if (left <= 0) return order;
  try {
    const { order: after } = await issueRefund(ctx, order, { amountFen: left, requestId: AUTO_REFUND_REQUEST_ID, requestedBy: 'auto', reason: AUTO_REFUND_REASON });
    return after;
  } catch (err) {
    console.error('[refund] automatic refund of a payment after close failed; the timer run retries', order.outTradeNo, (err as Error).message);
    return (await ctx.repo.get(order._id)) ?? order;
  }
}
