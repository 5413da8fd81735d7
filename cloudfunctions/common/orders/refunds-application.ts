import { AppError, ProviderError } from '../errors';
import type { RefundApplication, RefundReport } from '../payment/refund';
import type { OrderContext } from './context';
import { providerOrderIdOf, type OrderDoc, type RefundDoc } from './model';
import type { RefundProvider } from './refunds-provider';
import { applyRefundReport, refundIn } from './refunds-report';
import { changeRefunds, paidFen } from './refunds-store';

/**
 * Sending a refund's application to the provider: one sender at a time (a lease in the refund), the
 * same application every time, and what a refusal or a lost answer leaves behind.
 */

/** How long one caller has to send an application (with its retries) before another may send it again. */
export const APPLY_LEASE_MS = 30_000;

export interface SentRefund {
  order: OrderDoc;
  refund: RefundDoc;
}

export function application(order: OrderDoc, refund: RefundDoc): RefundApplication {
  const app: RefundApplication = { outTradeNo: order.outTradeNo, outRefundNo: refund.outRefundNo, totalFen: paidFen(order), amountFen: refund.amountFen };
  if (refund.reason) app.reason = refund.reason;
  const providerOrderId = providerOrderIdOf(order);
  if (providerOrderId) app.providerOrderId = providerOrderId;
  const transactionId = order.transactionId ?? order.paidAfterClose?.transactionId;
  if (transactionId) app.transactionId = transactionId;
  return app;
}

/**
 * The right to send a refund's application now, claimed by compare-and-set (one sender at a time);
 * not claimed when it was answered meanwhile or another caller is sending it.
 */
export async function claimApplication(ctx: OrderContext, order: OrderDoc, refund: RefundDoc): Promise<{ order: OrderDoc; claimed: boolean }> {
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

/**
 * Sends the application (again, unchanged) and applies the answer; the caller holds its lease. A
 * refusal is confirmed with a query before the refund is CLOSED: only a refund the provider does not
 * have frees its amount. A refund the provider cannot take at all (REFUND_UNAVAILABLE: nothing was
 * sent) is taken off the order again when this was its first application (`first`), so the refusal
 * leaves nothing behind.
 */
export async function submit(ctx: OrderContext, provider: RefundProvider, order: OrderDoc, refund: RefundDoc, first = false): Promise<SentRefund> {
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
    const { applyingUntil: _lease, ...closed } = r;
    return { write: true, refunds: (o.refunds ?? []).map((x) => (x === r ? { ...closed, status: 'CLOSED' as const, failure, updatedAt: now } : x)), value: undefined };
  });
}
