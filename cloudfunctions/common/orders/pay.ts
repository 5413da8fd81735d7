import type { PayData, PayMethod } from '../../../typings/checkout';
import { AppError } from '../errors';
import type { PrepayResult } from '../payment/gateway';
import { buildPayjsJump } from '../payjs/jump';
import { truncateUtf8 } from '../text';
import type { OrderContext } from './context';
import { toOrder, type OrderDoc, type PaymentAttempt } from './model';
import { reconcile } from './reconcile';

/** A prepay_id or code_url is valid for 2 hours; reuse it while at least a minute of that is left. */
const PREPAY_VALID_MS = 2 * 3600 * 1000;
const REUSE_MARGIN_MS = 60 * 1000;
/** The first active query comes this long after the payment starts: notifications normally win. */
const FIRST_QUERY_AFTER_MS = 10 * 1000;

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

async function placeWxPayTrade(ctx: OrderContext, order: OrderDoc, method: 'wechat' | 'native', openid: string): Promise<PaymentAttempt> {
  const gateway = ctx.wxpay;
  const config = ctx.config.wxpay;
  if (!gateway || !config) throw new AppError('METHOD_UNAVAILABLE', 'WeChat Pay is not configured on this deployment.');
  const tradeType = method === 'wechat' ? 'JSAPI' : 'NATIVE';
  const now = ctx.now();
  const prev = order.payment;
  if (prev && prev.tradeType === tradeType && (prev.reusableUntil ?? 0) > now + REUSE_MARGIN_MS) return prev;
  // Same out_trade_no and the same parameters as any earlier attempt: a safe re-place.
  const result: PrepayResult = await gateway.prepay({
    outTradeNo: order.outTradeNo,
    description: describeOrder(order),
    amountFen: order.amountFen,
    expiresAt: order.expiresAt,
    notifyUrl: config.notifyUrl,
    tradeType,
    openid: tradeType === 'JSAPI' ? openid : undefined,
  });
  const attempt: PaymentAttempt = {
    provider: gateway.version === 'v3' ? 'wxpay-v3' : 'wxpay-v2',
    tradeType,
    signType: result.signType,
    placedAt: now,
    reusableUntil: now + PREPAY_VALID_MS,
  };
  if (result.tradeType === 'JSAPI') attempt.prepayId = result.prepayId;
  else attempt.codeUrl = result.codeUrl;
  return attempt;
}

/**
 * Starts (or resumes) paying an order. The first `pay` fixes the method; every attempt uses the order's
 * one out_trade_no, so a retry can never create a second payable trade.
 */
export async function pay(ctx: OrderContext, order: OrderDoc, method: PayMethod, openid: string): Promise<PayData> {
  order = await reconcile(ctx, order, { query: false });
  assertPayable(order);
  if (order.payMethod && order.payMethod !== method) {
    throw new AppError('METHOD_MISMATCH', `This order is being paid with ${order.payMethod}; pay with it, or cancel the order and order again.`);
  }
  const now = ctx.now();
  let payjsJump: ReturnType<typeof buildPayjsJump> | undefined;
  let attempt: PaymentAttempt;
  if (method === 'payjs') {
    const config = ctx.config.payjs;
    if (!config) throw new AppError('METHOD_UNAVAILABLE', 'PAYJS is not configured on this deployment.');
    payjsJump = buildPayjsJump(config, { outTradeNo: order.outTradeNo, amountFen: order.amountFen, description: describeOrder(order) });
    attempt = order.payment ?? { provider: 'payjs', tradeType: 'PAYJS', placedAt: now };
  } else {
    attempt = await placeWxPayTrade(ctx, order, method, openid);
  }

  const patch: Partial<OrderDoc> = { payMethod: method, payment: attempt };
  if (!order.payment) patch.nextQueryAt = now + FIRST_QUERY_AFTER_MS;
  const unchanged = order.payMethod === method && attempt === order.payment;
  if (!unchanged && !(await ctx.repo.updateIf(order._id, 'PENDING', patch, { payMethod: order.payMethod ?? ctx.db.command.exists(false) }))) {
    // Closed, paid or given another method meanwhile: answer from what it is now.
    const current = await ctx.repo.get(order._id);
    if (current) assertPayable(current);
    throw new AppError('METHOD_MISMATCH', `This order is being paid with ${current?.payMethod}; pay with it, or cancel the order.`);
  }
  const updated = toOrder({ ...order, ...patch });
  if (method === 'payjs') return { method, order: updated, payjs: payjsJump! };
  if (method === 'native') return { method, order: updated, codeUrl: attempt.codeUrl! };
  return { method, order: updated, payment: ctx.wxpay!.requestPaymentParams(attempt.prepayId!, attempt.signType ?? 'RSA') };
}
