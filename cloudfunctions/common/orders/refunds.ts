import * as crypto from 'node:crypto';
import type { Where } from '../db/types';
import { AppError } from '../errors';
import type { OrderContext } from './context';
import type { OrderDoc, RefundDoc } from './model';
import { APPLY_LEASE_MS, application, claimApplication, submit, type SentRefund } from './refunds-application';
import { refundProviderFor, type RefundProvider } from './refunds-provider';
import { applyRefundReport, refundIn } from './refunds-report';
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
const AUTO_REFUND_REASON = '订单已关闭，款项自动退回';

export const refundQueryDelayMs = (count: number): number => REFUND_QUERY_DELAYS_MS[Math.min(count, REFUND_QUERY_DELAYS_MS.length - 1)];

function providerOrRefuse(ctx: OrderContext, order: OrderDoc): RefundProvider {
  const provider = refundProviderFor(ctx, order);
  if (!provider) throw new AppError('REFUND_UNAVAILABLE', 'This order was paid with a provider that is not configured on this deployment.');
  return provider;
}

export interface IssueRequest {
  amountFen: number;
  requestId: string;
  requestedBy: RefundDoc['requestedBy'];
  reason?: string;
  /** Written with the new refund, in the same update (e.g. approving the payer's request). */
  patch?: Partial<OrderDoc>;
  /** Conditions the write of the new refund is made on (so a change meanwhile makes it read again). */
  expect?: Where;
  /** The same conditions, checked on each read; throws to refuse. */
  precondition?(order: OrderDoc): void;
}

export type IssueResult = SentRefund;

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
