import type { ReconcileCause } from '../../../typings/merchant';
import { AppError, ProviderError } from '../errors';
import type { TradeReport } from '../payment/gateway';
import type { PaymentProvider } from '../payment/provider';
import { tradeOf, type OrderContext } from './context';
import { startFulfilment } from './fulfil';
import { PROVIDER_ORDER_ID, providerOrderIdOf, type OrderDoc } from './model';
import { refundPaidAfterClose } from './refunds';
import { closePendingOrder, settlePayment, type SettleOutcome } from './transitions';

/**
 * Bringing a PENDING order up to date with the provider: active queries (rate-limited), expiry and
 * cancellation. Notifications are the normal path; this is the fallback.
 */

/** Applies a verified payment notification from `provider` to the order it names. */
export async function applyNotification(ctx: OrderContext, provider: PaymentProvider, report: TradeReport, known?: OrderDoc): Promise<{ outcome: SettleOutcome; order?: OrderDoc }> {
  return settlePayment(ctx.repo, provider.merchant, report, 'notify', ctx.now(), (o) => refundPaidAfterClose(ctx, o), (o) => startFulfilment(ctx, o), known);
}

/** Asks the provider about the order's trade; undefined when there is nothing to ask (yet). */
async function askProvider(ctx: OrderContext, order: OrderDoc): Promise<TradeReport | undefined> {
  const provider = ctx.providers.forOrder(order);
  if (!provider) return undefined;
  const trade = tradeOf(order);
  if (!provider.canQuery(trade)) return undefined;
  const { report, foreignOrderId } = await provider.query(trade);
  if (foreignOrderId) await forgetProviderOrderId(ctx, order);
  return report;
}

/**
 * The client reported a provider order id that says nothing about this order (unknown, or another
 * order's). Forget it, so the right id can still be reported: a kept wrong one would block every later
 * check. The schedule (queryCount, nextQueryAt) stays, so reporting ids again cannot bring checks forward.
 */
async function forgetProviderOrderId(ctx: OrderContext, order: OrderDoc): Promise<void> {
  const patch = { [PROVIDER_ORDER_ID]: ctx.db.command.remove() } as unknown as Partial<OrderDoc>;
  await ctx.repo.updateIf(order._id, 'PENDING', patch, { [PROVIDER_ORDER_ID]: providerOrderIdOf(order) });
}

/**
 * Closes the trade at the provider. `checked` is a query answer for this very order, which providers
 * with `queryBeforeClose` need (PAYJS closes by an id from the client, trusted only once checked).
 */
async function closeAtProvider(ctx: OrderContext, order: OrderDoc, checked: TradeReport | undefined): Promise<void> {
  const provider = ctx.providers.forOrder(order);
  if (provider) await provider.close(tradeOf(order), checked);
}

async function settleFromQuery(ctx: OrderContext, order: OrderDoc, report: TradeReport): Promise<OrderDoc> {
  const provider = ctx.providers.forOrder(order);
  // A report comes only from the order's provider, so it is there.
  const settled = await settlePayment(ctx.repo, provider!.merchant, report, 'query', ctx.now(), (o) => refundPaidAfterClose(ctx, o), (o) => startFulfilment(ctx, o));
  if (settled.outcome === 'MISMATCH') console.error('[query] provider report does not match order', order.outTradeNo);
  // PAID and DUPLICATE answer the order as it is now; the other outcomes wrote after their read.
  if ((settled.outcome === 'PAID' || settled.outcome === 'DUPLICATE') && settled.order) return settled.order;
  return (await ctx.repo.get(order._id)) ?? order;
}

/**
 * One active query, if the shared schedule allows it now. The schedule is claimed with a conditional
 * update, so concurrent pollers (several pages, several instances) cause one provider call, not many.
 */
async function maybeQuery(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  const now = ctx.now();
  if (!order.payment || now < (order.nextQueryAt ?? 0)) return order;
  const provider = ctx.providers.forOrder(order);
  // Nothing to ask without the provider, or (PAYJS) until its own order id is known: the back-off
  // schedule is kept for the queries that can happen.
  if (!provider || !provider.canQuery(tradeOf(order))) return order;
  const count = order.queryCount ?? 0;
  const claimed = await ctx.repo.updateIf(order._id, 'PENDING', { nextQueryAt: now + provider.nextQueryDelayMs(count), queryCount: count + 1 }, { queryCount: count });
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

/** An order whose trade could not be verified is asked about again after this long (payer or timer run). */
export const RECHECK_UNVERIFIED_MS = 60_000;

/** Which kind of failure it was, for staff: lastError (the provider's words, our internals) stays in the log and the database. */
function causeOf(err: unknown): { cause: ReconcileCause; providerCode?: string } {
  if (!(err instanceof ProviderError)) return { cause: 'INTERNAL' };
  if (err.retryable) return { cause: 'UNREACHABLE' };
  // Our own codes for answers that failed verification; any other code is the provider's.
  if (err.providerCode === undefined || ANSWER_CODES.has(err.providerCode)) return { cause: 'ANSWER_REJECTED' };
  return /^[A-Z0-9_]{1,64}$/.test(err.providerCode) ? { cause: 'PROVIDER_REFUSED', providerCode: err.providerCode } : { cause: 'PROVIDER_REFUSED' };
}

/** ProviderError codes that say the answer, not the request, was refused (ours, v3; PAYJS). */
const ANSWER_CODES = new Set(['ANSWER_SIGNATURE_INVALID', 'SIGN_ERROR']);

/**
 * The provider's state could not be verified (query or close failed, an answer failed verification):
 * the order is not closed, since its trade may be paid. It stays PENDING, flagged for the merchant and
 * retried by the timer run (which takes every expired PENDING order).
 */
async function markUnverified(ctx: OrderContext, order: OrderDoc, err: unknown): Promise<OrderDoc> {
  const now = ctx.now();
  const prior = order.needsReconciliation;
  const flag: NonNullable<OrderDoc['needsReconciliation']> = { since: prior?.since ?? now, attempts: (prior?.attempts ?? 0) + 1, lastError: String((err as Error)?.message ?? err).slice(0, 300), ...causeOf(err) };
  console.error('[expire] trade state not verified; order kept PENDING for reconciliation', order.outTradeNo, flag);
  const _ = ctx.db.command;
  await ctx.repo.updateIf(order._id, 'PENDING', { needsReconciliation: _.set(flag), nextQueryAt: now + RECHECK_UNVERIFIED_MS } as unknown as Partial<OrderDoc>);
  return (await ctx.repo.get(order._id)) ?? order;
}

/**
 * Closes an order that has (or is about to) run out of time. The provider is asked first, since a
 * payment may have landed just before the deadline, then the trade is closed there; only when both
 * succeed is the order closed (WeChat Pay's time_expire, from expiresAt, also refuses payments
 * started later). PAYJS gets no time_expire and can be asked only once its id is known: without it
 * there is nothing to verify. A payment that lands anyway is flagged paid-after-close.
 */
export async function expire(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  if (order.needsReconciliation && ctx.now() < (order.nextQueryAt ?? 0)) return order;
  try {
    const report = await askProvider(ctx, order);
    if (report?.state === 'SUCCESS') return resolved(ctx, await settleFromQuery(ctx, order, report));
    await closeAtProvider(ctx, order, report);
  } catch (err) {
    return markUnverified(ctx, order, err);
  }
  const closed = await closePendingOrder(ctx.db, order, 'EXPIRED', ctx.now());
  return resolved(ctx, closed ?? (await ctx.repo.get(order._id)) ?? order);
}

/** Drops the reconciliation flag once the order left PENDING. */
async function resolved(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  if (!order.needsReconciliation || order.status === 'PENDING') return order;
  const patch = { needsReconciliation: ctx.db.command.remove() } as unknown as Partial<OrderDoc>;
  await ctx.repo.updateIf(order._id, order.status, patch);
  const { needsReconciliation: _gone, ...rest } = order;
  return rest;
}

/** Brings a PENDING order up to date: expiry first, then an active query when one is due. */
export async function reconcile(ctx: OrderContext, order: OrderDoc, opts: { query: boolean } = { query: true }): Promise<OrderDoc> {
  if (order.status !== 'PENDING') return order;
  if (ctx.now() >= order.expiresAt) return expire(ctx, order);
  return opts.query ? maybeQuery(ctx, order) : order;
}

/**
 * Records the provider's order id the client reported on return (the PAYJS return hint), for
 * providers that take one; it is only used to know whom to ask.
 */
export async function rememberClientOrderId(ctx: OrderContext, order: OrderDoc, id: string): Promise<OrderDoc> {
  const provider = ctx.providers.forOrder(order);
  if (!provider?.checkClientOrderId) return order;
  provider.checkClientOrderId(id);
  if (providerOrderIdOf(order) || order.status !== 'PENDING') return order;
  // Ask soon: the client says it came back from paying. Only before the first check, though: a
  // client that keeps reporting ids (a dropped wrong one, then another) must not outrun the back-off.
  const first = (order.queryCount ?? 0) === 0;
  const patch: Partial<OrderDoc> = { [PROVIDER_ORDER_ID]: id, ...(first ? { nextQueryAt: Math.min(order.nextQueryAt ?? 0, ctx.now()) } : {}) };
  if (await ctx.repo.updateIf(order._id, 'PENDING', patch, { [PROVIDER_ORDER_ID]: ctx.db.command.exists(false) })) return { ...order, ...patch };
  return (await ctx.repo.get(order._id)) ?? order;
}

/**
 * Closes a PENDING order's trade at the provider before it is cancelled; the order as it is then (PAID
 * when the trade turned out to be paid). A provider with `queryBeforeClose` is asked first, which ties
 * the client's id to this order and may find the payment; one whose id is not known cannot be closed.
 */
async function closeTradeForCancel(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  let checked: TradeReport | undefined;
  const provider = ctx.providers.forOrder(order);
  if (provider?.queryBeforeClose) {
    try {
      checked = await askProvider(ctx, order);
    } catch (err) {
      throw err instanceof AppError ? err : new ProviderError(`checking the ${provider.label} order failed: ${(err as Error).message}`);
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
  const closed = await closePendingOrder(ctx.db, order, 'CANCELLED', ctx.now());
  if (closed) return closed;
  const current = (await ctx.repo.get(order._id)) ?? order;
  if (current.status === 'PAID') throw new AppError('ALREADY_PAID', 'This order was paid meanwhile and cannot be cancelled.');
  return current;
}
