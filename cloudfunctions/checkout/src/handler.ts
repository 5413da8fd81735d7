import type { CheckoutData, CheckoutEvent, Result } from '../../../typings/checkout';
import { listProducts } from '../../common/catalog';
import { AppError, toApiError } from '../../common/errors';
import type { OrderContext } from '../../common/orders/context';
import { createOrder } from '../../common/orders/create';
import { toOrder, type OrderDoc } from '../../common/orders/model';
import { pay } from '../../common/orders/pay';
import { cancel, reconcile, rememberClientOrderId } from '../../common/orders/reconcile';
import { confirmReceipt } from '../../common/orders/receipt';
import { requestRefund } from '../../common/orders/refund-request';
import { reconcileRefunds } from '../../common/orders/refunds';
import { sweepExpiredOrders, type SweepResult } from '../../common/orders/sweep';
import { parseEvent } from './validate';

const LIST_LIMIT = 50;
/** Expired orders closed per listOrders call, so one call stays fast. */
const LIST_EXPIRE_LIMIT = 5;

async function ownedOrder(ctx: OrderContext, orderId: string, openid: string): Promise<OrderDoc> {
  const order = await ctx.repo.getOwned(orderId, openid);
  if (!order) throw new AppError('NOT_FOUND', 'No such order.');
  return order;
}

async function run(ctx: OrderContext, event: CheckoutEvent, openid: string): Promise<CheckoutData[CheckoutEvent['action']]> {
  switch (event.action) {
    case 'listProducts':
      return { products: await listProducts(ctx.db), payMethods: [...(ctx.config.wxpay ? (['wechat', 'native'] as const) : []), ...(ctx.config.payjs ? (['payjs'] as const) : [])] };
    case 'createOrder':
      return { order: toOrder(await createOrder(ctx, openid, event.items, event.requestId)) };
    case 'pay':
      return pay(ctx, await ownedOrder(ctx, event.orderId, openid), event.method, openid);
    case 'queryOrder': {
      let order = await ownedOrder(ctx, event.orderId, openid);
      if (event.payjsOrderId) order = await rememberClientOrderId(ctx, order, event.payjsOrderId);
      return { order: toOrder(await reconcileRefunds(ctx, await reconcile(ctx, order))) };
    }
    case 'cancelOrder':
      return { order: toOrder(await cancel(ctx, await ownedOrder(ctx, event.orderId, openid))) };
    case 'listOrders': {
      const docs = await ctx.repo.listOwned(openid, LIST_LIMIT);
      let budget = LIST_EXPIRE_LIMIT;
      const orders = [];
      for (const d of docs) {
        // A few expired ones are closed on the way, so the list does not show them as payable.
        if (d.status === 'PENDING' && ctx.now() >= d.expiresAt && budget > 0) {
          budget--;
          orders.push(toOrder(await reconcile(ctx, d, { query: false })));
        } else {
          orders.push(toOrder(d));
        }
      }
      return { orders };
    }
    case 'requestRefund':
      return { order: toOrder(await requestRefund(ctx, await ownedOrder(ctx, event.orderId, openid), event.reason)) };
    case 'confirmReceipt':
      return { order: toOrder(await confirmReceipt(ctx, await ownedOrder(ctx, event.orderId, openid))) };
  }
}

/**
 * The checkout function: `openid` comes from the WeChat context, never from the event. Always answers
 * a Result; unexpected errors are logged and reported as INTERNAL without details.
 */
export async function handleCheckout(event: unknown, openid: string | undefined, ctx: OrderContext | AppError): Promise<Result<unknown>> {
  try {
    if (ctx instanceof AppError) throw ctx;
    if (!openid) throw new AppError('UNAUTHENTICATED', 'No caller identity: call this function from the mini-program.');
    const data = await run(ctx, parseEvent(event), openid);
    return { ok: true, data };
  } catch (err) {
    if (!(err instanceof AppError)) console.error('[checkout] unexpected error', err);
    return { ok: false, error: toApiError(err) };
  }
}

/** The timer trigger's event: `{ Type: 'Timer', TriggerName, Time }`. */
export function isTimerEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { Type?: unknown }).Type === 'Timer';
}

export async function handleTimer(ctx: OrderContext | AppError): Promise<Result<SweepResult>> {
  if (ctx instanceof AppError) return { ok: false, error: toApiError(ctx) };
  try {
    const data = await sweepExpiredOrders(ctx);
    if (data.closed || data.paid || data.failed || data.refundsChecked) console.log('[timer] expired orders', data);
    return { ok: true, data };
  } catch (err) {
    console.error('[timer] sweep failed', err);
    return { ok: false, error: toApiError(err) };
  }
}
