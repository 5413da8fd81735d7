import type { PayjsConfig } from '../config';
import { NotificationRejected, type HttpReply, type HttpRequestLike, type TradeReport } from '../payment/gateway';
import { parseFen } from '../money';
import { FormError, parseForm } from './form';
import { verifyPayjsSign } from './sign';
import { parsePayjsTime } from './time';

/** A verified PAYJS statement about one trade. */
export interface PayjsTradeReport extends TradeReport {
  payjsOrderId: string;
  attach?: string;
}

/**
 * Reads a PAYJS payment notification (help.payjs.cn, 异步通知): a form POST whose signature covers
 * every field received, including ones added after this code was written. Throws NotificationRejected
 * (401 when it cannot be trusted, 400 when it is trusted but unusable).
 */
export async function readPayjsNotification(config: PayjsConfig, req: HttpRequestLike): Promise<PayjsTradeReport> {
  if (req.method.toUpperCase() !== 'POST') throw new NotificationRejected(`method ${req.method} is not POST`, 400);
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== '' && type !== 'application/x-www-form-urlencoded') {
    throw new NotificationRejected(`content type ${type} is not a form`, 400);
  }
  let fields: Record<string, string>;
  try {
    fields = parseForm(req.rawBody);
  } catch (e) {
    if (e instanceof FormError) throw new NotificationRejected(e.message, 400);
    throw e;
  }
  if (!fields.sign) throw new NotificationRejected('sign is missing');
  if (!verifyPayjsSign(fields, config.key)) throw new NotificationRejected('sign does not verify');
  if (fields.mchid !== config.mchid) throw new NotificationRejected('mchid is not this merchant');
  if (fields.return_code !== '1') throw new NotificationRejected(`return_code is ${JSON.stringify(fields.return_code)}, not 1`, 400);
  const amountFen = parseFen(fields.total_fee);
  if (amountFen === undefined) throw new NotificationRejected(`total_fee ${JSON.stringify(fields.total_fee)} is not a whole number of fen`, 400);
  if (!fields.out_trade_no) throw new NotificationRejected('out_trade_no is missing', 400);
  if (!fields.payjs_order_id) throw new NotificationRejected('payjs_order_id is missing', 400);
  return {
    outTradeNo: fields.out_trade_no,
    state: 'SUCCESS',
    mchid: fields.mchid,
    amountFen,
    transactionId: fields.transaction_id || undefined,
    // An unreadable time is no reason to refuse a verified payment: the order service stamps its own.
    paidAt: fields.time_end ? parsePayjsTime(fields.time_end) : undefined,
    openid: fields.openid || undefined,
    payjsOrderId: fields.payjs_order_id,
    attach: fields.attach || undefined,
  };
}

/** "Received, stop sending": PAYJS wants HTTP 200 with the body `success`. */
export function payjsAck(): HttpReply {
  return { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'success' };
}

/** Anything but 200 + `success` counts as not received. */
export function payjsReject(statusCode: number, message: string): HttpReply {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: message.slice(0, 200) };
}
