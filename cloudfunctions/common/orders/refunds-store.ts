import type { RefundStatus } from '../../../typings/checkout';
import type { Where } from '../db/types';
import { AppError } from '../errors';
import type { OrderContext } from './context';
import type { OrderDoc, RefundDoc } from './model';

/**
 * Every change of an order's refunds is one compare-and-set on `refundsRev`: read the order, decide,
 * write the whole new list only if nobody changed it meanwhile, else read again and decide again. So a
 * refund is added once per requestId, the refunds never add up to more than was paid, and each
 * refund's status changes exactly once however many notifications, queries and clicks race.
 */

/** Statuses still waiting for an outcome (ABNORMAL too: the merchant can still settle it). */
export const OPEN_REFUND_STATUSES: readonly RefundStatus[] = ['PROCESSING', 'ABNORMAL'];
export const isOpenRefund = (r: Pick<RefundDoc, 'status'>): boolean => OPEN_REFUND_STATUSES.includes(r.status);

/** A compare-and-set that keeps losing means something is hammering this order; give up rather than spin. */
const MAX_ATTEMPTS = 10;

/** The money the provider holds for this order: the paid total, or a payment that landed after it closed. */
export function paidFen(order: OrderDoc): number {
  if (order.status === 'PAID' || order.status === 'REFUNDED') return order.amountFen;
  if (order.status === 'CLOSED' && order.paidAfterClose) return order.paidAfterClose.amountFen ?? order.amountFen;
  return 0;
}

/** What the refunds not CLOSED hold of the paid amount (the rest can still be refunded). */
export const committedFen = (order: OrderDoc): number => (order.refunds ?? []).filter((r) => r.status !== 'CLOSED').reduce((n, r) => n + r.amountFen, 0);
export const refundedFenOf = (refunds: RefundDoc[]): number => refunds.filter((r) => r.status === 'SUCCESS').reduce((n, r) => n + r.amountFen, 0);

/** What a decision wants: nothing written, or the new refund list (plus fields and conditions that go with it). */
export type RefundDecision<T> =
  | { write: false; value: T }
  | { write: true; refunds: RefundDoc[]; patch?: Partial<OrderDoc>; expect?: Where; value: T };

export interface RefundChangeResult<T> {
  order: OrderDoc;
  value: T;
  /** This call's write landed. */
  wrote: boolean;
}

/**
 * Runs `decide` on the order as stored and applies its decision by compare-and-set, again on a fresh
 * read whenever another write got there first. `decide` may throw an AppError to refuse (nothing is
 * written). `order` is the caller's copy, used for the first decision.
 */
export async function changeRefunds<T>(ctx: OrderContext, order: OrderDoc, decide: (order: OrderDoc) => RefundDecision<T>): Promise<RefundChangeResult<T>> {
  const _ = ctx.db.command;
  let current = order;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const decision = decide(current);
    if (!decision.write) return { order: current, value: decision.value, wrote: false };
    const rev = current.refundsRev ?? 0;
    const refundedFen = refundedFenOf(decision.refunds);
    // Partly refunded stays PAID; REFUNDED once all of it is back. A closed order keeps its status.
    const status = current.status === 'PAID' && refundedFen >= current.amountFen ? 'REFUNDED' : current.status;
    // A list emptied again (a withdrawn refund) goes away whole: the order looks as it did before.
    const empty = decision.refunds.length === 0;
    const patch = {
      ...decision.patch,
      refunds: empty ? _.remove() : _.set(decision.refunds),
      refundedFen: empty ? _.remove() : refundedFen,
      refundsRev: rev + 1,
      ...(status !== current.status ? { status } : {}),
      // Refunded in full: nothing more to ship or receive.
      ...(status === 'REFUNDED' && status !== current.status && current.fulfilment ? { 'fulfilment.endedAt': ctx.now() } : {}),
    } as unknown as Partial<OrderDoc>;
    const expected = { ...decision.expect, refundsRev: rev === 0 ? _.exists(false) : rev };
    if (await ctx.repo.updateIf(current._id, current.status, patch, expected)) {
      const stored = await ctx.repo.get(current._id);
      if (!stored) throw new Error(`order ${current._id} vanished after a refund update`);
      return { order: stored, value: decision.value, wrote: true };
    }
    const fresh = await ctx.repo.get(current._id);
    if (!fresh) throw new AppError('NOT_FOUND', 'No such order.');
    current = fresh;
  }
  throw new Error(`order ${order._id}: refunds kept changing under ${MAX_ATTEMPTS} attempts to update them`);
}
