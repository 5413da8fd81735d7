import type { Result } from '../../../typings/checkout';
import type { MerchantData, MerchantEvent } from '../../../typings/merchant';
import { AppError, toApiError } from '../../common/errors';
import type { OrderContext } from '../../common/orders/context';
import type { OrderDoc } from '../../common/orders/model';
import { reconcile } from '../../common/orders/reconcile';
import { issueRefund, queryRefund, reconcileRefunds } from '../../common/orders/refunds';
import { resolveRefundRequest } from '../../common/orders/refunds-resolve';
import { shipOrder } from '../../common/orders/ship';
import { listAllOrders, toMerchantOrder } from '../../common/orders/staff-list';
import { toRefund } from '../../common/orders/model';
import { actionOf, DEFAULT_LIST_LIMIT, parseMerchantEvent } from './validate';

/** Orders per listOrders call whose open refunds are asked about on the way, so one call stays fast. */
const LIST_RECONCILE_LIMIT = 5;

async function anyOrder(ctx: OrderContext, orderId: string): Promise<OrderDoc> {
  const order = await ctx.repo.get(orderId);
  if (!order) throw new AppError('NOT_FOUND', 'No such order.');
  return order;
}

async function run(ctx: OrderContext, event: MerchantEvent, openid: string): Promise<MerchantData[MerchantEvent['action']]> {
  switch (event.action) {
    case 'whoami':
      return { merchant: ctx.config.merchantOpenids.has(openid) };
    case 'listOrders': {
      const { docs, nextCursor } = await listAllOrders(ctx, { status: event.status, refund: event.refund, attention: event.attention, limit: event.limit ?? DEFAULT_LIST_LIMIT, cursor: event.cursor });
      let budget = LIST_RECONCILE_LIMIT;
      const orders = [];
      for (const d of docs) {
        // reconcileRefunds asks only when the order has open refunds and its schedule allows it.
        const due = budget > 0 && d.refunds?.some((r) => r.status === 'PROCESSING' || r.status === 'ABNORMAL') && ctx.now() >= (d.refundQueryAt ?? 0);
        if (due) budget--;
        orders.push(toMerchantOrder(due ? await reconcileRefunds(ctx, d) : d));
      }
      return nextCursor ? { orders, nextCursor } : { orders };
    }
    case 'getOrder': {
      const order = await reconcileRefunds(ctx, await reconcile(ctx, await anyOrder(ctx, event.orderId)));
      return { order: toMerchantOrder(order) };
    }
    case 'refund': {
      const order = await anyOrder(ctx, event.orderId);
      const r = await issueRefund(ctx, order, { amountFen: event.amountFen, requestId: event.requestId, requestedBy: 'merchant', reason: event.reason });
      return { order: toMerchantOrder(r.order), refund: toRefund(r.refund) };
    }
    case 'queryRefund': {
      const r = await queryRefund(ctx, await anyOrder(ctx, event.orderId), event.refundId);
      return { order: toMerchantOrder(r.order), refund: toRefund(r.refund) };
    }
    case 'resolveRefundRequest': {
      const r = await resolveRefundRequest(ctx, await anyOrder(ctx, event.orderId), { approve: event.approve, amountFen: event.amountFen, note: event.note });
      return r.refund ? { order: toMerchantOrder(r.order), refund: toRefund(r.refund) } : { order: toMerchantOrder(r.order) };
    }
    case 'ship': {
      const { orderId, action: _action, ...shipping } = event;
      return { order: toMerchantOrder(await shipOrder(ctx, await anyOrder(ctx, orderId), shipping)) };
    }
  }
}

/**
 * The merchant function, for the merchant's staff: the caller's OPENID (from the WeChat context, never
 * the event) must be in MERCHANT_OPENIDS. Anyone else gets FORBIDDEN before anything is read; `whoami`
 * answers everyone. Always answers a Result; unexpected errors are logged and reported as INTERNAL.
 */
export async function handleMerchant(event: unknown, openid: string | undefined, ctx: OrderContext | AppError): Promise<Result<unknown>> {
  try {
    if (ctx instanceof AppError) throw ctx;
    if (!openid) throw new AppError('UNAUTHENTICATED', 'No caller identity: call this function from the mini-program.');
    if (actionOf(event) !== 'whoami' && !ctx.config.merchantOpenids.has(openid)) {
      throw new AppError('FORBIDDEN', 'This account is not on the merchant\'s staff list.');
    }
    const data = await run(ctx, parseMerchantEvent(event), openid);
    return { ok: true, data };
  } catch (err) {
    if (!(err instanceof AppError)) console.error('[merchant] unexpected error', err);
    return { ok: false, error: toApiError(err) };
  }
}
