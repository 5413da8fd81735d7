import type { OrderContext } from './context';
import { retryDueFulfilment, type FulfilmentSweepResult } from './fulfil';
import { ORDERS, type OrderDoc } from './model';
import { reconcile } from './reconcile';
import { reconcileRefunds, refundPaidAfterClose } from './refunds';
import { OPEN_REFUND_STATUSES } from './refunds-store';

/** Orders looked at per sweep. */
export const SWEEP_BATCH = 50;
/** Stop starting new orders after this long, well inside the function's timeout. */
export const SWEEP_BUDGET_MS = 30_000;

export interface SweepResult {
  closed: number;
  paid: number;
  failed: number;
  /**
   * Orders closed by an earlier version of this code whose stock release was interrupted (now the
   * close and the release are one transaction): check their stock by hand.
   */
  stockPending: string[];
  /** Orders whose open refunds were asked about (or whose payment after close was refunded). */
  refundsChecked: number;
  /** Fulfilment attempts that were due (orders/fulfil.ts). */
  fulfilment?: FulfilmentSweepResult;
  /** Expired orders kept PENDING because their trade's state could not be verified (retried each run). */
  unverified: string[];
}

/**
 * Closes PENDING orders past their expiry (asking the provider first, releasing their stock), so an
 * abandoned checkout never holds stock for good. Run by the checkout function's timer trigger.
 */
export async function sweepExpiredOrders(ctx: OrderContext, limit = SWEEP_BATCH): Promise<SweepResult> {
  const _ = ctx.db.command;
  const started = ctx.now();
  const orders = ctx.db.collection(ORDERS);
  const { data } = await orders.where({ status: 'PENDING', expiresAt: _.lte(started) }).orderBy('expiresAt', 'asc').limit(limit).get();
  const result: SweepResult = { closed: 0, paid: 0, failed: 0, stockPending: [], refundsChecked: 0, unverified: [] };
  for (const doc of data as unknown as OrderDoc[]) {
    if (ctx.now() - started > SWEEP_BUDGET_MS) break;
    try {
      const after = await reconcile(ctx, doc, { query: false });
      if (after.status === 'CLOSED') result.closed++;
      else if (after.status === 'PAID') result.paid++;
      else if (after.needsReconciliation) result.unverified.push(after.outTradeNo);
    } catch (err) {
      // One order the provider or database chokes on must not stop the others (it is retried next run).
      result.failed++;
      console.error('[sweep] could not close', doc.outTradeNo, err);
    }
  }
  await sweepRefunds(ctx, started, limit, result);
  // Left by earlier versions, which closed and gave stock back in two writes.
  const stale = await orders.where({ status: 'CLOSED', stockReleased: 'pending', closedAt: _.lt(started - 60_000) }).limit(limit).get();
  result.stockPending = stale.data.map((d) => (d as unknown as OrderDoc).outTradeNo);
  if (result.stockPending.length) console.error('[sweep] stock release interrupted, release by hand:', result.stockPending);
  result.fulfilment = await retryDueFulfilment(ctx);
  return result;
}

/**
 * Open refunds whose query is due (so a lost notification never leaves one PROCESSING), and payments
 * after close whose automatic refund was never recorded (the function died before it).
 */
async function sweepRefunds(ctx: OrderContext, started: number, limit: number, result: SweepResult): Promise<void> {
  const _ = ctx.db.command;
  const orders = ctx.db.collection(ORDERS);
  const due = await orders.where({ 'refunds.status': _.in([...OPEN_REFUND_STATUSES]), refundQueryAt: _.lte(started) }).orderBy('refundQueryAt', 'asc').limit(limit).get();
  const unrefunded = ctx.config.autoRefundPaidAfterClose
    ? (await orders.where({ status: 'CLOSED', 'paidAfterClose.at': _.exists(true), refunds: _.exists(false) }).limit(limit).get()).data
    : [];
  for (const doc of [...due.data, ...unrefunded] as unknown as OrderDoc[]) {
    if (ctx.now() - started > SWEEP_BUDGET_MS) break;
    try {
      await (doc.refunds ? reconcileRefunds(ctx, doc) : refundPaidAfterClose(ctx, doc));
      result.refundsChecked++;
    } catch (err) {
      result.failed++;
      console.error('[sweep] could not check refunds of', doc.outTradeNo, err);
    }
  }
}
