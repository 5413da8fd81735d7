import type { WxPayV2Config } from '../../config';
import { type HttpReply, type HttpRequestLike, type NotificationContext, NotificationRejected, type TradeReport } from '../../payment/gateway';
import type { ProviderNotification, RefundReport } from '../../payment/refund';
import { decryptReqInfo, NOTIFICATION_FIELDS, refundReportFrom, ReqInfoError } from './refund';
import { tradeReportFrom, V2FieldError } from './report';
import { isV2SignType, verifyV2 } from './sign';
import { parseXml, parseXmlFields, toXml } from './xml';

const XML_HEADERS = { 'content-type': 'text/xml; charset=utf-8' };

/** The exact answer the platform documents for "received, stop sending". */
export const V2_ACK_XML = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

export function ackV2(): HttpReply {
  return { statusCode: 200, headers: { ...XML_HEADERS }, body: V2_ACK_XML };
}

export function rejectV2(statusCode: number, message: string): HttpReply {
  return { statusCode, headers: { ...XML_HEADERS }, body: toXml({ return_code: 'FAIL', return_msg: message }) };
}

/**
 * Verifies and decodes a v2 payment notification. The sign is checked with the sign type the order
 * was placed with (the notification may omit sign_type), over every field received.
 * A verified result_code FAIL yields a PAYERROR report; the caller decides what it changes.
 */
export async function readV2Notification(config: WxPayV2Config, req: HttpRequestLike, ctx: NotificationContext): Promise<TradeReport> {
  return readPayment(config, parseNotification(req), ctx);
}

/** A payment or a refund notification: a refund one carries `req_info` and no `sign`. */
export async function readV2AnyNotification(config: WxPayV2Config, req: HttpRequestLike, ctx: NotificationContext): Promise<ProviderNotification> {
  const fields = parseNotification(req);
  if (fields.req_info !== undefined) return { kind: 'refund', report: readRefund(config, fields) };
  return { kind: 'payment', report: await readPayment(config, fields, ctx) };
}

function parseNotification(req: HttpRequestLike): Record<string, string> {
  try {
    return parseXml(req.rawBody);
  } catch (e) {
    throw new NotificationRejected(`malformed notification: ${(e as Error).message}`, 400);
  }
}

/**
 * A refund notification: there is no sign, so nothing outside `req_info` is trusted beyond routing;
 * what decrypts under our key is the platform's statement (and names our order and refund numbers).
 */
function readRefund(config: WxPayV2Config, fields: Record<string, string>): RefundReport {
  if (fields.return_code !== 'SUCCESS') throw new NotificationRejected(`return_code is ${JSON.stringify(fields.return_code)}`, 400);
  if (fields.appid !== config.appid || fields.mch_id !== config.mchid) throw new NotificationRejected('notification is for another appid/mch_id', 401);
  let inner: Record<string, string>;
  try {
    inner = parseXmlFields(decryptReqInfo(fields.req_info, config.key), ['root', 'xml']);
  } catch (e) {
    if (e instanceof ReqInfoError) throw new NotificationRejected(e.message, 401);
    // Decrypted with valid padding yet no XML: not from the platform, or not with our key.
    throw new NotificationRejected(`req_info is not a refund: ${(e as Error).message}`, 401);
  }
  try {
    const report = refundReportFrom(inner, NOTIFICATION_FIELDS);
    if (!report.outTradeNo) throw new V2FieldError('out_trade_no is missing');
    if (report.status === 'SUCCESS' && report.succeededAt === undefined) throw new V2FieldError('a SUCCESS refund must carry success_time');
    return report;
  } catch (e) {
    if (e instanceof V2FieldError) throw new NotificationRejected(`bad refund notification: ${e.message}`, 400);
    throw e;
  }
}

async function readPayment(config: WxPayV2Config, fields: Record<string, string>, ctx: NotificationContext): Promise<TradeReport> {
  if (fields.return_code !== 'SUCCESS') throw new NotificationRejected(`return_code is ${JSON.stringify(fields.return_code)}`, 400);
  if (!fields.out_trade_no) throw new NotificationRejected('out_trade_no is missing', 400);
  const orderSignType = (await ctx.signTypeOf(fields.out_trade_no)) ?? config.signType;
  if (!isV2SignType(orderSignType)) throw new NotificationRejected(`order ${fields.out_trade_no} was not placed with API v2`, 401);
  if (!verifyV2(fields, orderSignType, config.key)) throw new NotificationRejected('notification sign does not verify', 401);
  if (fields.appid !== config.appid || fields.mch_id !== config.mchid) throw new NotificationRejected('notification is for another appid/mch_id', 401);
  try {
    if (fields.result_code !== 'SUCCESS') return tradeReportFrom(fields, 'PAYERROR');
    return tradeReportFrom(fields, 'SUCCESS', ['total_fee', 'transaction_id', 'time_end']);
  } catch (e) {
    if (e instanceof V2FieldError) throw new NotificationRejected(`bad notification: ${e.message}`, 400);
    throw e;
  }
}
