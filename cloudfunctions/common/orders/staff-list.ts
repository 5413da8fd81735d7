import type { OrderStatus } from '../../../typings/checkout';
import type { AttentionFilter, MerchantOrder, ReconciliationView, RefundFilter } from '../../../typings/merchant';
import type { Command, Where } from '../db/types';
import { invalidArgument } from '../errors';
import type { OrderContext } from './context';
import { fulfilmentTaskView } from './fulfil';
import { ORDERS, toOrder, type OrderDoc } from './model';

/** What the merchant's staff see of orders: every user's, newest first, with what needs a person. */

export function toMerchantOrder(d: OrderDoc): MerchantOrder {
  const o: MerchantOrder = { ...toOrder(d), openid: d._openid };
  if (d.transactionId) o.transactionId = d.transactionId;
  if (d.paidAfterClose) o.paidAfterClose = d.paidAfterClose;
  if (d.fulfilmentTask) o.fulfilmentTask = fulfilmentTaskView(d.fulfilmentTask);
  if (d.needsReconciliation) o.needsReconciliation = reconciliationView(d.needsReconciliation);
  if (d.paymentAnomalies?.length) o.paymentAnomalies = d.paymentAnomalies.map((a) => ({ ...a }));
  return o;
}

/** The flag without lastError: that is the provider's or our own internal message (log and database only). */
function reconciliationView(f: NonNullable<OrderDoc['needsReconciliation']>): ReconciliationView {
  const v: ReconciliationView = { since: f.since, attempts: f.attempts, cause: f.cause };
  if (f.providerCode) v.providerCode = f.providerCode;
  return v;
}

/**
 * Both are set only when there is something to show. Asked by a field every entry has, so an index on
 * it (README) serves the filter.
 */
const attentionFilter = (a: AttentionFilter, _: Command): Where =>
  (a === 'RECONCILE' ? { 'needsReconciliation.since': _.exists(true) } : { 'paymentAnomalies.at': _.exists(true) }) as Where;

const REFUND_FILTERS: Record<RefundFilter, Where> = {
  REQUESTED: { 'refundRequest.status': 'OPEN' },
  PROCESSING: { 'refunds.status': 'PROCESSING' },
  ABNORMAL: { 'refunds.status': 'ABNORMAL' },
};

/** The position after an order in the (createdAt, _id) descending order, opaque to the client. */
const encodeCursor = (d: OrderDoc): string => Buffer.from(JSON.stringify([d.createdAt, d._id])).toString('base64url');

function decodeCursor(cursor: string): [number, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && /^[0-9a-f]{1,64}$/.test(v[1])) return [v[0], v[1]];
  } catch {
    /* refused below */
  }
  throw invalidArgument('cursor must be the nextCursor of a previous answer.');
}

export interface StaffListQuery {
  status?: OrderStatus;
  refund?: RefundFilter;
  attention?: AttentionFilter;
  limit: number;
  cursor?: string;
}

export async function listAllOrders(ctx: OrderContext, q: StaffListQuery): Promise<{ docs: OrderDoc[]; nextCursor?: string }> {
  const _ = ctx.db.command;
  const filters: Where[] = [];
  if (q.status) filters.push({ status: q.status });
  if (q.refund) filters.push(REFUND_FILTERS[q.refund]);
  if (q.attention) filters.push(attentionFilter(q.attention, _));
  if (q.cursor) {
    const [createdAt, id] = decodeCursor(q.cursor);
    filters.push(_.or([{ createdAt: _.lt(createdAt) }, { createdAt, _id: _.lt(id) }]) as Where);
  }
  const where = filters.length === 0 ? {} : filters.length === 1 ? filters[0] : (_.and(filters) as Where);
  const { data } = await ctx.db.collection(ORDERS).where(where).orderBy('createdAt', 'desc').orderBy('_id', 'desc').limit(q.limit + 1).get();
  const docs = (data as unknown as OrderDoc[]).slice(0, q.limit);
  return data.length > q.limit ? { docs, nextCursor: encodeCursor(docs[docs.length - 1]) } : { docs };
}
