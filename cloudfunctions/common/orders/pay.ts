import type { Order, PayData, PayMethod } from '../../../typings/checkout';
import { AppError, ProviderError, TIME_EXPIRE_TOO_CLOSE } from '../errors';
import { TradeConflict, type PaymentProvider } from '../payment/provider';
import { tradeOf, type OrderContext } from './context';
import { toOrder, type OrderDoc, type PaymentAttempt } from './model';
import { expire, reconcile, settleIfPaid } from './reconcile';

/** The first active query comes this long after the payment starts: notifications normally win. */
const FIRST_QUERY_AFTER_MS = 10 * 1000;

/** The trade a method asks for, recorded before the provider is called. */
const TRADE_TYPE: Record<PayMethod, PaymentAttempt['tradeType']> = { wechat: 'JSAPI', native: 'NATIVE', payjs: 'PAYJS' };

const expired = () => new AppError('ORDER_CLOSED', 'This order expired; please order again.');

function assertPayable(order: OrderDoc): void {
  if (order.status === 'PAID') throw new AppError('ALREADY_PAID', 'This order is already paid.');
  if (order.status === 'REFUNDED') throw new AppError('ORDER_CLOSED', 'This order was refunded.');
  if (order.status === 'CLOSED') {
    throw new AppError('ORDER_CLOSED', order.closeReason === 'EXPIRED' ? 'This order expired; please order again.' : 'This order was cancelled.');
  }
}

const mismatch = (method: PayMethod | undefined) =>
  new AppError('METHOD_MISMATCH', `This order is being paid with ${method}; pay with it, or cancel the order and order again.`);

/**
 * Records the method, and that a trade may exist at the provider, before it is asked for one: if
 * its answer is lost (a reset after the trade was placed), cancel, expiry and the sweep still close
 * it there. The first pay fixes the method; a concurrent pay with another one loses here, before it
 * places anything.
 */
async function recordAttempt(ctx: OrderContext, order: OrderDoc, method: PayMethod, provider: PaymentProvider): Promise<OrderDoc> {
  if (order.payMethod === method && order.payment) return order;
  const _ = ctx.db.command;
  const intent: PaymentAttempt = { provider: provider.name, tradeType: TRADE_TYPE[method], placedAt: ctx.now() };
  const patch = { payMethod: method, payment: _.set(intent), nextQueryAt: ctx.now() + FIRST_QUERY_AFTER_MS } as unknown as Partial<OrderDoc>;
  if (await ctx.repo.updateIf(order._id, 'PENDING', patch, { payMethod: order.payMethod ?? _.exists(false) })) {
    return { ...order, payMethod: method, payment: intent, nextQueryAt: ctx.now() + FIRST_QUERY_AFTER_MS };
  }
  const current = await ctx.repo.get(order._id);
  if (current) assertPayable(current);
  // A concurrent pay with the same method recorded it first: go on with what it recorded.
  if (current?.payMethod === method && current.payment) return current;
  throw mismatch(current?.payMethod);
}

/** The provider's trade for the order: the stored one while reusable, else (re)placed now. */
async function placeTrade(ctx: OrderContext, order: OrderDoc, method: PayMethod, provider: PaymentProvider, openid: string): Promise<PaymentAttempt> {
  const previous = order.payment;
  const now = ctx.now();
  if (previous && provider.reusable(previous, method, now)) return previous;
  if (order.expiresAt - now < provider.minPayWindowMs) {
    assertPayable(await expire(ctx, order));
    throw expired();
  }
  // Same out_trade_no and the same parameters as any earlier attempt: a safe re-place.
  const placed = await provider.start(tradeOf(order), method, { openid }, now).catch(async (err: unknown) => {
    // Paid (its notification still on the way) or closed at the provider: say what it is.
    if (err instanceof TradeConflict && err.state === 'PAID') assertPayable(await settleIfPaid(ctx, order));
    if (err instanceof TradeConflict && err.state === 'CLOSED') assertPayable(await expire(ctx, order));
    // Retries ran into the expiry margin: the order can no longer be paid in time.
    if (err instanceof ProviderError && err.providerCode === TIME_EXPIRE_TOO_CLOSE) {
      assertPayable(await expire(ctx, order));
      throw expired();
    }
    throw err;
  });
  // The same prepay_id / code_url again: its 2 hours started when it was first issued.
  const same = previous && ((placed.prepayId && placed.prepayId === previous.prepayId) || (placed.codeUrl && placed.codeUrl === previous.codeUrl));
  if (same && previous.reusableUntil !== undefined) return { ...placed, placedAt: previous.placedAt, reusableUntil: previous.reusableUntil };
  return placed;
}

const ATTEMPT_FIELDS = ['provider', 'tradeType', 'prepayId', 'codeUrl', 'signType', 'placedAt', 'reusableUntil'] as const;

/** An unchanged attempt is not written again (an update that changes nothing counts no document). */
const sameAttempt = (a: PaymentAttempt, b: PaymentAttempt | undefined) => b !== undefined && ATTEMPT_FIELDS.every((k) => a[k] === b[k]);

/**
 * Starts (or resumes) paying an order. The first `pay` fixes the method; every attempt uses the order's
 * one out_trade_no, so a retry can never create a second payable trade.
 */
export async function pay(ctx: OrderContext, order: OrderDoc, method: PayMethod, openid: string): Promise<PayData> {
  order = await reconcile(ctx, order, { query: false });
  assertPayable(order);
  // Past its expiry, its trade not yet verified: it stays visible until reconciled, never payable.
  if (order.needsReconciliation || ctx.now() >= order.expiresAt) throw expired();
  if (order.payMethod && order.payMethod !== method) throw mismatch(order.payMethod);
  const provider = ctx.providers.forMethod(method);
  order = await recordAttempt(ctx, order, method, provider);
  const attempt = await placeTrade(ctx, order, method, provider, openid);
  const trade = tradeOf(order);

  if (!sameAttempt(attempt, order.payment)) {
    const _ = ctx.db.command;
    // _.set: a new attempt replaces the old one whole (a plain object would be merged into it).
    const write = { payment: _.set(attempt) } as unknown as Partial<OrderDoc>;
    if (!(await ctx.repo.updateIf(order._id, 'PENDING', write, { payMethod: method }))) {
      const current = await ctx.repo.get(order._id);
      // Cancelled or expired while the trade was being placed: its close may have come first, so
      // close again now that the trade surely exists (closing a closed trade is no error).
      if (current?.status === 'CLOSED') await provider.close(trade).catch((e: unknown) => console.error('[pay] closing the trade of a closed order failed', order.outTradeNo, (e as Error).message));
      if (current) assertPayable(current);
      // Still PENDING with this method: a concurrent pay wrote the same trade first.
      if (current?.payMethod !== method) throw mismatch(current?.payMethod);
    }
  }
  const now: Order = toOrder({ ...order, payment: attempt });
  return { ...provider.handout(trade, attempt, method), order: now } as PayData;
}
