import { AppError, invalidArgument, ProviderError } from '../errors';
import type { TradeReport } from '../payment/gateway';
import { isPayjsOrderId, nextCheckDelayMs, rejectsPayjsOrderId } from '../payjs/client';
import type { OrderContext } from './context';
import type { OrderDoc } from './model';
import { refundPaidAfterClose } from './refunds';
import { closePendingOrder, settlePayment, type Merchant, type SettleOutcome } from './transitions';

/**
 * Bringing a PENDING order up to date with the provider: active queries (rate-limited), expiry and
 * cancellation. Notifications are the normal path; this is the fallback.
 */

/** Delays between active queries of a WeChat Pay trade, after the first one 10 s after placing it. */
const WXPAY_QUERY_DELAYS_MS = [10_000, 20_000, 40_000, 60_000];

export function nextQueryDelayMs(order: Pick<OrderDoc, 'payMethod' | 'queryCount'>): number {
  const n = order.queryCount ?? 0;
  if (order.payMethod === 'payjs') return nextCheckDelayMs(n);
  return WXPAY_QUERY_DELAYS_MS[Math.min(n, WXPAY_QUERY_DELAYS_MS.length - 1)];
}

type Provider = 'wxpay' | 'payjs';

/** The merchant a provider's reports must name: ours, as configured. */
function merchantFor(ctx: OrderContext, provider: Provider): Merchant {
  if (provider === 'payjs') return { mchid: ctx.config.payjs?.mchid ?? '' };
  return { mchid: ctx.config.wxpay?.mchid ?? '', appid: ctx.config.wxpay?.appid };
}

const providerOf = (order: OrderDoc): Provider => (order.payMethod === 'payjs' ? 'payjs' : 'wxpay');

/** Applies a verified provider notification to the order it names. */
export async function applyNotification(ctx: OrderContext, report: TradeReport, provider: Provider): Promise<{ outcome: SettleOutcome; order?: OrderDoc }> {
  return settlePayment(ctx.repo, merchantFor(ctx, provider), report, 'notify', ctx.now(), (o) => refundPaidAfterClose(ctx, o));
}

/** Asks the provider about the order's trade; undefined when there is nothing to ask yet. */
async function askProvider(ctx: OrderContext, order: OrderDoc): Promise<TradeReport | undefined> {
  if (!order.payment) return undefined;
  if (order.payment.provider === 'payjs') {
    if (!ctx.payjs || !order.payjsOrderId) return undefined;
    let report;
    try {
      report = await ctx.payjs.check(order.payjsOrderId);
    } catch (err) {
      if (!rejectsPayjsOrderId(err)) throw err;
      console.warn('[query] PAYJS does not know order', order.payjsOrderId, 'reported for', order.outTradeNo, (err as Error).message);
      await forgetPayjsOrderId(ctx, order);
      return undefined;
    }
    if (report.outTradeNo === order.outTradeNo) return report;
    console.warn('[query] PAYJS order', order.payjsOrderId, 'belongs to', report.outTradeNo, 'not', order.outTradeNo);
    await forgetPayjsOrderId(ctx, order);
    return undefined;
  }
  if (!ctx.wxpay) return undefined;
  return ctx.wxpay.query(order.outTradeNo);
}

/**
 * The client reported a PAYJS id that says nothing about this order (unknown, or another order's).
 * Forget it, so the right id can still be reported: a kept wrong one would block every later check.
 * The schedule (queryCount, nextQueryAt) stays, so reporting ids again cannot bring checks forward.
 */
async function forgetPayjsOrderId(ctx: OrderContext, order: OrderDoc): Promise<void> {
  await ctx.repo.updateIf(order._id, 'PENDING', { payjsOrderId: ctx.db.command.remove() as string }, { payjsOrderId: order.payjsOrderId });
}

/**
 * Closes the trade at the provider. PAYJS closes by its own order id, which came from the client: only
 * once `checked` (a check answer for this very order) has tied that id to this order.
 */
async function closeAtProvider(ctx: OrderContext, order: OrderDoc, checked: TradeReport | undefined): Promise<void> {
  if (!order.payment) return;
  if (order.payment.provider === 'payjs') {
    if (ctx.payjs && order.payjsOrderId && checked) await ctx.payjs.close(order.payjsOrderId);
  } else if (ctx.wxpay) {
    await ctx.wxpay.close(order.outTradeNo);
  }
}

async function settleFromQuery(ctx: OrderContext, order: OrderDoc, report: TradeReport): Promise<OrderDoc> {
  const { outcome } = await settlePayment(ctx.repo, merchantFor(ctx, providerOf(order)), report, 'query', ctx.now(), (o) => refundPaidAfterClose(ctx, o));
  if (outcome === 'MISMATCH') console.error('[query] provider report does not match order', order.outTradeNo);
  return (await ctx.repo.get(order._id)) ?? order;
}

/**
 * One active query, if the shared schedule allows it now. The schedule is claimed with a conditional
 * update, so concurrent pollers (several pages, several instances) cause one provider call, not many.
 */
async function maybeQuery(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  const now = ctx.now();
  if (!order.payment || now < (order.nextQueryAt ?? 0)) return order;
  // PAYJS is asked by its own order id only: until one is known there is nothing to ask, and the
  // back-off schedule is kept for the checks that can happen.
  if (order.payment.provider === 'payjs' && !order.payjsOrderId) return order;
  const count = order.queryCount ?? 0;
  const claimed = await ctx.repo.updateIf(order._id, 'PENDING', { nextQueryAt: now + nextQueryDelayMs(order), queryCount: count + 1 }, { queryCount: count });
  if (!claimed) return (await ctx.repo.get(order._id)) ?? order;
  try {
    const report = await askProvider(ctx, order);
    if (report?.state === 'SUCCESS') return settleFromQuery(ctx, order, report);
  } catch (err) {
    // A failed query only delays confirmation; the caller still gets the order as we know it.
    console.warn('[query] provider query failed', order.outTradeNo, (err as Error).message);
  }
  return order;
}

/** Asks the provider once and settles the order if it reports a payment; the order as it is now. */
export async function settleIfPaid(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  const report = await askProvider(ctx, order).catch(() => undefined);
  return report?.state === 'SUCCESS' ? settleFromQuery(ctx, order, report) : order;
}

/**
 * Closes an order that has (or is about to) run out of time. The provider is asked first, since a
 * payment may have landed just before the deadline, then the trade is closed there (best effort).
 * WeChat Pay's time_expire (from expiresAt) refuses payments started later even if closing there
 * fails; PAYJS gets no time_expire, so its trade is closed only when its id is known. A payment that
 * lands anyway is flagged paid-after-close.
 */
export async function expire(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  try {
    const report = await askProvider(ctx, order);
    if (report?.state === 'SUCCESS') return settleFromQuery(ctx, order, report);
    await closeAtProvider(ctx, order, report);
  } catch (err) {
    console.warn('[expire] provider query/close failed; closing locally', order.outTradeNo, (err as Error).message);
  }
  await closePendingOrder(ctx.db, ctx.repo, order, 'EXPIRED', ctx.now());
  return (await ctx.repo.get(order._id)) ?? order;
}

/** Brings a PENDING order up to date: expiry first, then an active query when one is due. */
export async function reconcile(ctx: OrderContext, order: OrderDoc, opts: { query: boolean } = { query: true }): Promise<OrderDoc> {
  if (order.status !== 'PENDING') return order;
  if (ctx.now() >= order.expiresAt) return expire(ctx, order);
  return opts.query ? maybeQuery(ctx, order) : order;
}

/** Records the PAYJS order id the client reported on return (only used to know whom to ask). */
export async function rememberPayjsOrderId(ctx: OrderContext, order: OrderDoc, payjsOrderId: string): Promise<OrderDoc> {
  if (!isPayjsOrderId(payjsOrderId)) throw invalidArgument('payjsOrderId must be 1–32 letters, digits, _ or -.');
  if (order.payMethod !== 'payjs' || order.payjsOrderId || order.status !== 'PENDING') return order;
  // Ask soon: the client says it came back from paying. Only before the first check, though: a
  // client that keeps reporting ids (a dropped wrong one, then another) must not outrun the back-off.
  const first = (order.queryCount ?? 0) === 0;
  const patch = first ? { payjsOrderId, nextQueryAt: Math.min(order.nextQueryAt ?? 0, ctx.now()) } : { payjsOrderId };
  await ctx.repo.updateIf(order._id, 'PENDING', patch, { payjsOrderId: ctx.db.command.exists(false) });
  return (await ctx.repo.get(order._id)) ?? order;
}

/**
 * Closes a PENDING order's trade at the provider before it is cancelled; the order as it is then (PAID
 * when the trade turned out to be paid). PAYJS is checked first, which ties the client's id to this
 * order and may find the payment; a PAYJS order whose id is not known cannot be closed there.
 */
async function closeTradeForCancel(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  let checked: TradeReport | undefined;
  if (order.payment?.provider === 'payjs') {
    try {
      checked = await askProvider(ctx, order);
    } catch (err) {
      throw err instanceof AppError ? err : new ProviderError(`checking the PAYJS order failed: ${(err as Error).message}`);
    }
    if (checked?.state === 'SUCCESS') return settleFromQuery(ctx, order, checked);
  }
  try {
    await closeAtProvider(ctx, order, checked);
  } catch (err) {
    // Closing fails when the trade was paid meanwhile: ask, and settle instead.
    const settled = await settleIfPaid(ctx, order);
    if (settled.status === 'PAID') return settled;
    throw err instanceof ProviderError ? err : new ProviderError(`closing the trade failed: ${(err as Error).message}`);
  }
  return order;
}

/**
 * Cancels a PENDING order. Its trade is closed at the provider first; if that fails because it was
 * paid, the order is settled instead and the caller learns it is paid.
 */
export async function cancel(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  order = await reconcile(ctx, order, { query: false });
  if (order.status === 'PAID') throw new AppError('ALREADY_PAID', 'This order is already paid and cannot be cancelled.');
  if (order.status !== 'PENDING') return order;
  if (order.payment) {
    order = await closeTradeForCancel(ctx, order);
    if (order.status === 'PAID') throw new AppError('ALREADY_PAID', 'This order was paid meanwhile and cannot be cancelled.');
  }
  if (!(await closePendingOrder(ctx.db, ctx.repo, order, 'CANCELLED', ctx.now()))) {
    const current = (await ctx.repo.get(order._id)) ?? order;
    if (current.status === 'PAID') throw new AppError('ALREADY_PAID', 'This order was paid meanwhile and cannot be cancelled.');
    return current;
  }
  return (await ctx.repo.get(order._id)) ?? order;
}
