import type { RefundReport } from '../payment/refund';
import type { OrderContext } from './context';
import { ORDERS, type OrderDoc, type RefundDoc } from './model';
import { changeRefunds, isOpenRefund, paidFen } from './refunds-store';

/**
 * Applying what a provider states about a refund (the answer to its application, a notification or
 * an active query): found by out_refund_no, checked against the stored refund, then one compare-and-set.
 */

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

/** The refund as stored now (the order may have moved on). */
export function refundIn(order: OrderDoc, refund: RefundDoc): RefundDoc {
  return order.refunds?.find((r) => r.outRefundNo === refund.outRefundNo) ?? refund;
}

