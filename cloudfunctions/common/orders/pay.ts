import type { Order, PayData, PayMethod } from '../../../typings/checkout';
import { AppError } from '../errors';
import { TradeConflict } from '../payment/provider';
import { tradeOf, type OrderContext } from './context';
import { toOrder, type OrderDoc, type PaymentAttempt } from './model';
import { expire, reconcile, settleIfPaid } from './reconcile';

/** The first active query comes this long after the payment starts: notifications normally win. */
const FIRST_QUERY_AFTER_MS = 10 * 1000;

function assertPayable(order: OrderDoc): void {
  if (order.status === 'PAID') throw new AppError('ALREADY_PAID', 'This order is already paid.');
  if (order.status === 'REFUNDED') throw new AppError('ORDER_CLOSED', 'This order was refunded.');
  if (order.status === 'CLOSED') {
    throw new AppError('ORDER_CLOSED', order.closeReason === 'EXPIRED' ? 'This order expired; please order again.' : 'This order was cancelled.');
  }
}

/** A payment attempt to record on the order, and what the client gets for it. */
interface Prepared {
  attempt: PaymentAttempt;
  handout(order: Order): PayData;
}

async function prepare(ctx: OrderContext, order: OrderDoc, method: PayMethod, openid: string): Promise<Prepared> {
  const provider = ctx.providers.forMethod(method);
  const trade = tradeOf(order);
  const now = ctx.now();
  let attempt = order.payment;
  if (!attempt || !provider.reusable(attempt, method, now)) {
    if (order.expiresAt - now < provider.minPayWindowMs) {
      assertPayable(await expire(ctx, order));
      throw new AppError('ORDER_CLOSED', 'This order expired; please order again.');
    }
    // Same out_trade_no and the same parameters as any earlier attempt: a safe re-place.
    attempt = await provider.start(trade, method, { openid }, now).catch(async (err: unknown) => {
      // Paid (its notification still on the way) or closed at the provider: say what it is.
      if (err instanceof TradeConflict && err.state === 'PAID') assertPayable(await settleIfPaid(ctx, order));
      if (err instanceof TradeConflict && err.state === 'CLOSED') assertPayable(await expire(ctx, order));
      throw err;
    });
  }
  const placed = attempt;
  return { attempt: placed, handout: (o) => ({ ...provider.handout(trade, placed, method), order: o }) as PayData };
}

/**
 * Starts (or resumes) paying an order. The first `pay` fixes the method; every attempt uses the order's
 * one out_trade_no, so a retry can never create a second payable trade.
 */
export async function pay(ctx: OrderContext, order: OrderDoc, method: PayMethod, openid: string, retried = false): Promise<PayData> {
  order = await reconcile(ctx, order, { query: false });
  assertPayable(order);
  if (order.payMethod && order.payMethod !== method) {
    throw new AppError('METHOD_MISMATCH', `This order is being paid with ${order.payMethod}; pay with it, or cancel the order and order again.`);
  }
  const { attempt, handout } = await prepare(ctx, order, method, openid);

  const _ = ctx.db.command;
  const patch: Partial<OrderDoc> = { payMethod: method, payment: attempt };
  if (!order.payment) patch.nextQueryAt = ctx.now() + FIRST_QUERY_AFTER_MS;
  const unchanged = order.payMethod === method && attempt === order.payment;
  // _.set: a new attempt replaces the old one whole (a plain object would be merged into it).
  const write = { ...patch, payment: _.set(attempt) } as unknown as Partial<OrderDoc>;
  if (!unchanged && !(await ctx.repo.updateIf(order._id, 'PENDING', write, { payMethod: order.payMethod ?? _.exists(false) }))) {
    // Closed, paid or given another method meanwhile: answer from what it is now.
    const current = await ctx.repo.get(order._id);
    if (current) assertPayable(current);
    // A concurrent pay with the same method recorded its attempt first: hand that one out.
    if (current?.payMethod === method && current.payment && !retried) return pay(ctx, current, method, openid, true);
    throw new AppError('METHOD_MISMATCH', `This order is being paid with ${current?.payMethod}; pay with it, or cancel the order.`);
  }
  return handout(toOrder({ ...order, ...patch }));
}
