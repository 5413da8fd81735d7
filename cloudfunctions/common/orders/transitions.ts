import type { CloseReason } from '../../../typings/checkout';
import type { Database } from '../db/types';
import type { TradeReport } from '../payment/gateway';
import { getIfExists, TRANSACTION_ATTEMPTS } from '../db/transaction';
import { returnStock } from '../stock';
import { fulfilmentOnPaid } from './fulfil';
import { ORDERS, PROVIDER_ORDER_ID, type OrderDoc, type PaymentAnomaly } from './model';
import type { OrderRepository } from './repository';

/**
 * Every change of an order's status happens here, each as one conditional update on the current
 * status, so it happens exactly once however many notifications, queries and users race for it.
 */

export type SettleOutcome =
  /** This call made the order PAID. */
  | 'PAID'
  /** Already PAID (a repeated notification or query): nothing to do. */
  | 'DUPLICATE'
  /** The provider took money for an order we had closed: flagged, and refunded automatically unless turned off. */
  | 'PAID_AFTER_CLOSE'
  /** The report is not a successful payment. */
  | 'NOT_PAID'
  | 'UNKNOWN_ORDER'
  /** Verified, but for another amount or merchant than the order: refused, recorded as a payment anomaly. */
  | 'MISMATCH';

export interface Merchant {
  mchid: string;
  appid?: string;
}

/**
 * Marks an order PAID from a verified provider report (notification or active query), after checking
 * the amount and merchant against the stored order.
 */
export async function settlePayment(
  repo: OrderRepository,
  merchant: Merchant,
  report: TradeReport,
  via: 'notify' | 'query',
  now: number,
  /** Called once this call has flagged a payment on a closed order (the automatic refund). */
  onPaidAfterClose?: (order: OrderDoc) => Promise<unknown>,
  /**
   * Called once this call has made the order PAID (the fulfilment outbox); must not throw. It may
   * answer the order as it left it, which saves the caller a read.
   */
  onPaid?: (order: OrderDoc) => Promise<OrderDoc | void>,
  /** The order as just read for this report (v2 payNotify reads it for its sign type): no second query. */
  known?: OrderDoc,
): Promise<{ outcome: SettleOutcome; order?: OrderDoc }> {
  const order = known?.outTradeNo === report.outTradeNo ? known : await repo.findByOutTradeNo(report.outTradeNo);
  if (!order) return { outcome: 'UNKNOWN_ORDER' };
  if (report.state !== 'SUCCESS') return { outcome: 'NOT_PAID', order };
  const mismatch =
    report.amountFen !== order.amountFen ||
    (report.mchid !== undefined && report.mchid !== merchant.mchid) ||
    (report.appid !== undefined && merchant.appid !== undefined && report.appid !== merchant.appid);
  if (mismatch) {
    console.error('[settle] refused: report does not match order', {
      outTradeNo: order.outTradeNo,
      orderAmountFen: order.amountFen,
      reportAmountFen: report.amountFen,
      reportMchid: report.mchid,
      reportAppid: report.appid,
    });
    await recordAnomaly(repo, order, report, via, now);
    return { outcome: 'MISMATCH', order };
  }
  // The fulfilment outbox is written with PAID itself, so no paid order can miss it.
  const paid: Partial<OrderDoc> = { status: 'PAID', paidAt: report.paidAt ?? now, paidVia: via, ...fulfilmentOnPaid(order, now) };
  if (report.transactionId) paid.transactionId = report.transactionId;
  // The provider's own id from a verified report: refunds at PAYJS go by it.
  if (report.providerOrderId) paid[PROVIDER_ORDER_ID] = report.providerOrderId;
  if (await repo.updateIf(order._id, 'PENDING', paid)) {
    const won = { ...order, ...paid } as OrderDoc;
    return { outcome: 'PAID', order: (await onPaid?.(won)) ?? won };
  }
  const current = (await repo.get(order._id)) ?? order;
  if (current.status === 'CLOSED') {
    if (!current.paidAfterClose) {
      // No undefined values: the database refuses them.
      const flag: NonNullable<OrderDoc['paidAfterClose']> = { at: now };
      if (report.transactionId) flag.transactionId = report.transactionId;
      if (report.amountFen !== undefined) flag.amountFen = report.amountFen;
      const patch: Partial<OrderDoc> = { paidAfterClose: flag };
      // Refunding it may need the provider's own id of the trade (PAYJS refunds by it).
      if (report.providerOrderId && !current[PROVIDER_ORDER_ID]) patch[PROVIDER_ORDER_ID] = report.providerOrderId;
      await repo.updateIf(order._id, 'CLOSED', patch);
      console.error('[settle] payment received for a closed order: refund it', { outTradeNo: order.outTradeNo, transactionId: report.transactionId });
      await onPaidAfterClose?.({ ...current, ...patch });
    }
    return { outcome: 'PAID_AFTER_CLOSE', order: current };
  }
  return { outcome: 'DUPLICATE', order: current };
}

/**
 * Keeps what arrived on the order (no undefined values: the database refuses them). A report sent
 * again (redeliveries, repeated queries) is kept once.
 */
async function recordAnomaly(repo: OrderRepository, order: OrderDoc, report: TradeReport, via: 'notify' | 'query', now: number): Promise<void> {
  const entry: PaymentAnomaly = { at: now, via, state: report.state };
  if (report.amountFen !== undefined) entry.amountFen = report.amountFen;
  if (report.mchid !== undefined) entry.mchid = report.mchid;
  if (report.appid !== undefined) entry.appid = report.appid;
  if (report.transactionId !== undefined) entry.transactionId = report.transactionId;
  const known = order.paymentAnomalies ?? [];
  const same = (a: PaymentAnomaly) => a.amountFen === entry.amountFen && a.mchid === entry.mchid && a.appid === entry.appid && a.transactionId === entry.transactionId;
  if (known.some(same)) return;
  await repo.setList(order._id, 'paymentAnomalies', [...known, entry]);
}

/**
 * PENDING → CLOSED, and the order's stock goes back to the catalog, in one transaction: both happen
 * or neither (a crash included), so `stockReleased: true` on a closed order means the stock is back,
 * and the release belongs to whoever wins the transition. The order as closed (read in the
 * transaction, so the caller needs no read after it); undefined when it was no longer PENDING.
 */
export async function closePendingOrder(db: Database, order: OrderDoc, reason: CloseReason, now: number): Promise<OrderDoc | undefined> {
  return db.runTransaction(async (t) => {
    const ref = t.collection(ORDERS).doc(order._id);
    const current = await getIfExists<OrderDoc>(ref);
    if (current?.status !== 'PENDING') return undefined;
    const closed = { status: 'CLOSED', closedAt: now, closeReason: reason, stockReleased: true } as const;
    await ref.update({ data: closed });
    await returnStock(t, db.command, current.items);
    return { ...current, ...closed };
  }, TRANSACTION_ATTEMPTS);
}
