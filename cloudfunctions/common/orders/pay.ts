import type { Order, PayData, PayMethod } from '../../../typings/checkout';
import { AppError, ProviderError } from '../errors';
import { buildPayjsJump } from '../payjs/jump';
import { truncateUtf8 } from '../text';
import type { OrderContext } from './context';
import { toOrder, type OrderDoc, type PaymentAttempt } from './model';
import { expire, reconcile, settleIfPaid } from './reconcile';

/** A prepay_id or code_url is valid for 2 hours; reuse it while at least a minute of that is left. */
const PREPAY_VALID_MS = 2 * 3600 * 1000;
const REUSE_MARGIN_MS = 60 * 1000;
/** The first active query comes this long after the payment starts: notifications normally win. */
const FIRST_QUERY_AFTER_MS = 10 * 1000;
/**
 * WeChat Pay refuses a time_expire that is too close (v2: "time_expire时间过短，刷卡至少1分钟，其他5分钟"):
 * an order with less time left than this can no longer be paid, so it is closed instead.
 */
export const MIN_PAY_WINDOW_MS = { 'wxpay-v3': 60_000, 'wxpay-v2': 5 * 60_000 } as const;

/** What the payer sees in WeChat Pay: the first item's name, plus a count when there are more. */
export function describeOrder(order: Pick<OrderDoc, 'items'>): string {
  const [first, ...rest] = order.items;
  const count = order.items.reduce((n, i) => n + i.quantity, 0);
  const name = rest.length === 0 && first.quantity === 1 ? first.name : `${first.name} 等${count}件`;
  // v3 allows 127 bytes and v2 128; PAYJS cuts its own (32).
  return truncateUtf8(name, 127);
}

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

async function prepareWxPay(ctx: OrderContext, order: OrderDoc, method: 'wechat' | 'native', openid: string): Promise<Prepared> {
  const gateway = ctx.wxpay;
  const config = ctx.config.wxpay;
  if (!gateway || !config) throw new AppError('METHOD_UNAVAILABLE', 'WeChat Pay is not configured on this deployment.');
  const tradeType = method === 'wechat' ? 'JSAPI' : 'NATIVE';
  const now = ctx.now();
  let attempt = order.payment;
  if (!attempt || attempt.tradeType !== tradeType || (attempt.reusableUntil ?? 0) <= now + REUSE_MARGIN_MS) {
    if (order.expiresAt - now < MIN_PAY_WINDOW_MS[gateway.version === 'v3' ? 'wxpay-v3' : 'wxpay-v2']) {
      assertPayable(await expire(ctx, order));
      throw new AppError('ORDER_CLOSED', 'This order expired; please order again.');
    }
    // Same out_trade_no and the same parameters as any earlier attempt: a safe re-place.
    const result = await gateway
      .prepay({
        outTradeNo: order.outTradeNo,
        description: describeOrder(order),
        amountFen: order.amountFen,
        expiresAt: order.expiresAt,
        notifyUrl: config.notifyUrl,
        tradeType,
        openid: tradeType === 'JSAPI' ? openid : undefined,
      })
      .catch(async (err: unknown) => {
        // Paid (its notification still on the way) or closed at the provider: say what it is.
        if (err instanceof ProviderError && /^ORDER_?PAID$/.test(err.providerCode ?? '')) assertPayable(await settleIfPaid(ctx, order));
        if (err instanceof ProviderError && /^ORDER_?CLOSED$/.test(err.providerCode ?? '')) assertPayable(await expire(ctx, order));
        throw err;
      });
    attempt = {
      provider: gateway.version === 'v3' ? 'wxpay-v3' : 'wxpay-v2',
      tradeType,
      signType: result.signType,
      placedAt: now,
      reusableUntil: now + PREPAY_VALID_MS,
      ...(result.tradeType === 'JSAPI' ? { prepayId: result.prepayId } : { codeUrl: result.codeUrl }),
    };
  }
  const { prepayId, codeUrl, signType = 'RSA' } = attempt;
  if (method === 'native' && codeUrl) return { attempt, handout: (o) => ({ method, order: o, codeUrl }) };
  // The second signing is made fresh for every hand-out (new timeStamp and nonceStr, same prepay_id).
  if (method === 'wechat' && prepayId) return { attempt, handout: (o) => ({ method, order: o, payment: gateway.requestPaymentParams(prepayId, signType) }) };
  throw new Error(`order ${order._id}: a ${tradeType} attempt without its prepay_id/code_url`);
}

function preparePayjs(ctx: OrderContext, order: OrderDoc): Prepared {
  const config = ctx.config.payjs;
  if (!config) throw new AppError('METHOD_UNAVAILABLE', 'PAYJS is not configured on this deployment.');
  const payjs = buildPayjsJump(config, { outTradeNo: order.outTradeNo, amountFen: order.amountFen, description: describeOrder(order) });
  const attempt: PaymentAttempt = order.payment ?? { provider: 'payjs', tradeType: 'PAYJS', placedAt: ctx.now() };
  return { attempt, handout: (o) => ({ method: 'payjs', order: o, payjs }) };
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
  const { attempt, handout } = method === 'payjs' ? preparePayjs(ctx, order) : await prepareWxPay(ctx, order, method, openid);

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
