import type { FulfilmentHook } from './hook';

/** Where memberships are recorded, one document per paid order (`_id` = orderId). */
export const MEMBERSHIPS = 'memberships';

/** Each unit of a membership product grants this many days. */
export const MEMBERSHIP_DAYS_PER_UNIT = 30;

/**
 * A worked example of a hook with its own collection: a membership is a record the shop reads
 * elsewhere (e.g. to unlock content). The record's `_id` is the orderId, so a repeated attempt finds
 * the record already there instead of granting twice. Shipped at once as virtual goods.
 */
export const membership: FulfilmentHook = {
  type: 'membership',
  shipsAtOnce: 'VIRTUAL',
  async run(ctx, input) {
    const days = input.items.reduce((n, i) => n + i.quantity * MEMBERSHIP_DAYS_PER_UNIT, 0);
    const record = {
      _id: input.orderId,
      _openid: input.openid,
      skuIds: input.items.map((i) => i.skuId),
      days,
      grantedAt: ctx.now(),
    };
    const existing = await ctx.db.collection(MEMBERSHIPS).where({ _id: input.orderId }).limit(1).get();
    if (existing.data.length > 0) return;
    try {
      await ctx.db.collection(MEMBERSHIPS).add({ data: record });
    } catch (err) {
      // A concurrent attempt (or one whose answer was lost) wrote it: the same grant, once.
      const again = await ctx.db.collection(MEMBERSHIPS).where({ _id: input.orderId }).limit(1).get();
      if (again.data.length === 0) throw err;
    }
  },
};
