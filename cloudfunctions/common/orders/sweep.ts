import type { OrderContext } from './context';
import { ORDERS, type OrderDoc } from './model';
import { reconcile } from './reconcile';

/** Orders closed per sweep: one timer run stays well inside the function's time limit. */
export const SWEEP_BATCH = 50;

/**
 * Closes PENDING orders past their expiry (asking the provider first, releasing their stock), so an
 * abandoned checkout never holds stock for good. Run by the checkout function's timer trigger.
 */
export async function sweepExpiredOrders(ctx: OrderContext, limit = SWEEP_BATCH): Promise<{ closed: number; paid: number }> {
  const _ = ctx.db.command;
  const { data } = await ctx.db
    .collection(ORDERS)
    .where({ status: 'PENDING', expiresAt: _.lte(ctx.now()) })
    .orderBy('expiresAt', 'asc')
    .limit(limit)
    .get();
  let closed = 0;
  let paid = 0;
  for (const doc of data as unknown as OrderDoc[]) {
    const after = await reconcile(ctx, doc, { query: false });
    if (after.status === 'CLOSED') closed++;
    else if (after.status === 'PAID') paid++;
  }
  return { closed, paid };
}
