import type { Logistics, OrderStatus } from '../../../typings/checkout';
import type { AttentionFilter, MerchantAction, MerchantEvent, RefundFilter } from '../../../typings/merchant';
import { invalidArgument } from '../../common/errors';
import { fen, id, isObject, optionalText } from '../../common/event-fields';
import { MAX_ORDER_FEN } from '../../common/orders/create';
import { fitsRefundReason, MAX_REFUND_REASON_BYTES } from '../../common/payment/refund';

/**
 * Turns the raw event into a typed MerchantEvent or throws INVALID_ARGUMENT naming the bad field.
 * Unknown fields are ignored (the platform adds `userInfo`).
 */

const ACTIONS: readonly MerchantAction[] = ['whoami', 'listOrders', 'getOrder', 'refund', 'queryRefund', 'resolveRefundRequest', 'ship'];
const LOGISTICS: readonly Logistics[] = ['EXPRESS', 'LOCAL_DELIVERY', 'VIRTUAL', 'PICKUP'];
/** WeChat shows item_desc to the payer, at most 120 characters. */
export const MAX_ITEM_DESC = 120;
const STATUSES: readonly OrderStatus[] = ['PENDING', 'PAID', 'CLOSED', 'REFUNDED'];
const REFUND_FILTERS: readonly RefundFilter[] = ['REQUESTED', 'PROCESSING', 'ABNORMAL'];
const ATTENTION_FILTERS: readonly AttentionFilter[] = ['RECONCILE', 'ANOMALY'];
export const MAX_LIST_LIMIT = 100;
export const DEFAULT_LIST_LIMIT = 20;
export const MAX_NOTE = 200;

/** The action named by the event, if it is one: decided before anything else, so FORBIDDEN can come first. */
export function actionOf(event: unknown): MerchantAction | undefined {
  const a = isObject(event) ? event.action : undefined;
  return typeof a === 'string' && ACTIONS.includes(a as MerchantAction) ? (a as MerchantAction) : undefined;
}

function oneOf<T extends string>(e: Record<string, unknown>, field: string, values: readonly T[]): T | undefined {
  const v = e[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !values.includes(v as T)) throw invalidArgument(`${field} must be one of ${values.join(', ')}.`);
  return v as T;
}

export function parseMerchantEvent(event: unknown): MerchantEvent {
  const action = actionOf(event);
  if (!action || !isObject(event)) throw invalidArgument(`action must be one of ${ACTIONS.join(', ')}.`);
  switch (action) {
    case 'whoami':
      return { action };
    case 'listOrders': {
      const out: MerchantEvent = { action };
      const status = oneOf(event, 'status', STATUSES);
      const refund = oneOf(event, 'refund', REFUND_FILTERS);
      if (status) out.status = status;
      if (refund) out.refund = refund;
      const attention = oneOf(event, 'attention', ATTENTION_FILTERS);
      if (attention) out.attention = attention;
      if (event.limit !== undefined) {
        const limit = event.limit;
        if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw invalidArgument(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}.`);
        out.limit = limit;
      }
      if (event.cursor !== undefined) {
        if (typeof event.cursor !== 'string' || event.cursor.length > 200) throw invalidArgument('cursor must be the nextCursor of a previous answer.');
        out.cursor = event.cursor;
      }
      return out;
    }
    case 'getOrder':
      return { action, orderId: id(event, 'orderId') };
    case 'refund': {
      const out: MerchantEvent = { action, orderId: id(event, 'orderId'), amountFen: fen(event, 'amountFen', 1, MAX_ORDER_FEN), requestId: id(event, 'requestId') };
      const reason = optionalText(event, 'reason', MAX_REFUND_REASON_BYTES);
      if (reason && !fitsRefundReason(reason)) throw invalidArgument(`reason must be at most ${MAX_REFUND_REASON_BYTES} bytes in UTF-8 (about 26 Chinese characters): WeChat Pay refuses longer ones.`);
      if (reason) out.reason = reason;
      return out;
    }
    case 'queryRefund':
      return { action, orderId: id(event, 'orderId'), refundId: id(event, 'refundId') };
    case 'resolveRefundRequest': {
      if (typeof event.approve !== 'boolean') throw invalidArgument('approve must be true or false.');
      const out: MerchantEvent = { action, orderId: id(event, 'orderId'), approve: event.approve };
      if (event.amountFen !== undefined) {
        if (!event.approve) throw invalidArgument('amountFen goes only with approve: true.');
        out.amountFen = fen(event, 'amountFen', 1, MAX_ORDER_FEN);
      }
      const note = optionalText(event, 'note', MAX_NOTE);
      if (note) out.note = note;
      return out;
    }
    case 'ship': {
      const logistics = oneOf(event, 'logistics', LOGISTICS);
      if (!logistics) throw invalidArgument(`logistics must be one of ${LOGISTICS.join(', ')}.`);
      // What each logistics type needs is checked by orders/ship.ts, for every caller.
      const out: MerchantEvent = { action, orderId: id(event, 'orderId'), logistics };
      const trackingNo = optionalText(event, 'trackingNo', 128);
      const expressCompany = optionalText(event, 'expressCompany', 32);
      const itemDesc = optionalText(event, 'itemDesc', MAX_ITEM_DESC);
      if (trackingNo) out.trackingNo = trackingNo;
      if (expressCompany) out.expressCompany = expressCompany;
      if (itemDesc) out.itemDesc = itemDesc;
      return out;
    }
  }
}
