import { AppError } from '../../common/errors';
import type { OrderContext } from '../../common/orders/context';
import { applyNotification } from '../../common/orders/reconcile';
import type { SettleOutcome } from '../../common/orders/transitions';
import { NotificationRejected, type HttpReply, type HttpRequestLike, type TradeReport } from '../../common/payment/gateway';
import { payjsAck, payjsReject, readPayjsNotification } from '../../common/payjs/notification';
import { toAccessReply, toHttpRequest, type HttpAccessEvent, type HttpAccessReply } from './http-event';

type Route = 'wxpay-v3' | 'wxpay-v2' | 'payjs';

/** One notify URL serves every provider: each one's notifications are recognisable by their form. */
export function routeOf(req: HttpRequestLike): Route | undefined {
  if (req.headers['wechatpay-signature'] !== undefined) return 'wxpay-v3';
  if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) return 'payjs';
  // XML, possibly after a byte-order mark or an <?xml …?> prolog.
  if (/^\uFEFF?\s*(<\?xml[^>]*\?>\s*)?<xml[\s>]/.test(req.rawBody.toString('utf8', 0, 128))) return 'wxpay-v2';
  return undefined;
}

const plain = (statusCode: number, body: string): HttpReply => ({ statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body });

interface Replies {
  ack(): HttpReply;
  reject(status: number, message: string): HttpReply;
}

/** Accepted outcomes stop the provider's redelivery; the rest make it send again (and change nothing). */
function answer(outcome: SettleOutcome, replies: Replies): HttpReply {
  switch (outcome) {
    case 'PAID':
    case 'DUPLICATE':
    case 'PAID_AFTER_CLOSE':
    case 'NOT_PAID':
      return replies.ack();
    case 'UNKNOWN_ORDER':
      return replies.reject(404, 'unknown out_trade_no');
    case 'MISMATCH':
      return replies.reject(400, 'amount or merchant does not match the order');
  }
}

async function settle(ctx: OrderContext, replies: Replies, read: () => Promise<TradeReport>, provider: 'wxpay' | 'payjs'): Promise<HttpReply> {
  let report: TradeReport;
  try {
    report = await read();
  } catch (err) {
    if (err instanceof NotificationRejected) {
      console.warn(`[payNotify] rejected ${provider} notification: ${err.message}`);
      return replies.reject(err.statusCode, err.message);
    }
    throw err;
  }
  const { outcome } = await applyNotification(ctx, report, provider);
  console.log(`[payNotify] ${provider} ${report.outTradeNo}: ${outcome}`);
  return answer(outcome, replies);
}

async function dispatch(ctx: OrderContext, req: HttpRequestLike): Promise<HttpReply> {
  if (req.method !== 'POST') return plain(405, 'POST only');
  const route = routeOf(req);
  if (route === 'payjs') {
    const config = ctx.config.payjs;
    if (!config) return payjsReject(404, 'PAYJS is not configured');
    return settle(ctx, { ack: payjsAck, reject: payjsReject }, () => readPayjsNotification(config, req), 'payjs');
  }
  const gateway = ctx.wxpay;
  if (!route || !gateway || gateway.version !== route.slice(-2)) return plain(400, 'not a notification this deployment accepts');
  const replies = { ack: () => gateway.ackNotification(), reject: (s: number, m: string) => gateway.rejectNotification(s, m) };
  const signTypeOf = async (outTradeNo: string) => (await ctx.repo.findByOutTradeNo(outTradeNo))?.payment?.signType;
  return settle(ctx, replies, () => gateway.readNotification(req, { signTypeOf }), 'wxpay');
}

/** The payNotify function: verifies and applies WeChat Pay (v3, v2) and PAYJS payment notifications. */
export async function handleNotify(event: HttpAccessEvent, ctx: OrderContext | AppError): Promise<HttpAccessReply> {
  if (ctx instanceof AppError) return toAccessReply(plain(500, 'payNotify is not configured; see the function log'));
  try {
    return toAccessReply(await dispatch(ctx, toHttpRequest(event)));
  } catch (err) {
    // Storage or other failures: 500 makes the provider deliver again later.
    console.error('[payNotify] failed', err);
    return toAccessReply(plain(500, 'internal error'));
  }
}
