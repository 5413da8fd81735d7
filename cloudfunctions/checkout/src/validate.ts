import type { CartLine, CheckoutAction, CheckoutEvent, PayMethod } from '../../../typings/checkout';
import { invalidArgument } from '../../common/errors';
import { ID_PATTERN, id, isObject, text } from '../../common/event-fields';

/**
 * Turns the raw event into a typed CheckoutEvent or throws INVALID_ARGUMENT naming the bad field.
 * Unknown fields are ignored (the platform adds `userInfo`); in particular any price the client sends
 * is never read.
 */

const ACTIONS: readonly CheckoutAction[] = ['listProducts', 'createOrder', 'pay', 'queryOrder', 'cancelOrder', 'listOrders', 'requestRefund', 'confirmReceipt'];
const METHODS: readonly PayMethod[] = ['wechat', 'native', 'payjs'];
export const MAX_LINES = 50;
export const MAX_QUANTITY = 99;
export const MAX_UNITS = 200;
/**
 * A payer's refund request reason, in characters: it is ours (the merchant reads it). Approving the
 * request sends it as the refund's reason cut to WeChat Pay's 80 bytes (orders/refunds-resolve.ts).
 */
export const MAX_REASON = 80;

function optionalId(e: Record<string, unknown>, field: string): string | undefined {
  return e[field] === undefined ? undefined : id(e, field);
}

function cartLines(v: unknown): CartLine[] {
  if (!Array.isArray(v) || v.length === 0) throw invalidArgument('items must be a non-empty array of { skuId, quantity }.');
  if (v.length > MAX_LINES) throw invalidArgument(`items may have at most ${MAX_LINES} lines.`);
  const merged = new Map<string, number>();
  v.forEach((line, i) => {
    if (!isObject(line)) throw invalidArgument(`items[${i}] must be an object { skuId, quantity }.`);
    const skuId = line.skuId;
    if (typeof skuId !== 'string' || !ID_PATTERN.test(skuId)) throw invalidArgument(`items[${i}].skuId must be a string of 1–64 letters, digits, _ or -.`);
    const q = line.quantity;
    if (typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > MAX_QUANTITY) {
      throw invalidArgument(`items[${i}].quantity must be a whole number from 1 to ${MAX_QUANTITY}.`);
    }
    merged.set(skuId, (merged.get(skuId) ?? 0) + q);
  });
  let units = 0;
  for (const [skuId, q] of merged) {
    if (q > MAX_QUANTITY) throw invalidArgument(`The quantity of ${skuId} adds up to ${q}; at most ${MAX_QUANTITY}.`);
    units += q;
  }
  if (units > MAX_UNITS) throw invalidArgument(`An order may hold at most ${MAX_UNITS} units (this one has ${units}).`);
  return [...merged].map(([skuId, quantity]) => ({ skuId, quantity }));
}

export function parseEvent(event: unknown): CheckoutEvent {
  if (!isObject(event)) throw invalidArgument('The event must be an object with an action.');
  const action = event.action;
  if (typeof action !== 'string' || !ACTIONS.includes(action as CheckoutAction)) {
    throw invalidArgument(`action must be one of ${ACTIONS.join(', ')}.`);
  }
  switch (action as CheckoutAction) {
    case 'listProducts':
      return { action: 'listProducts' };
    case 'listOrders':
      return { action: 'listOrders' };
    case 'createOrder': {
      const requestId = optionalId(event, 'requestId');
      const items = cartLines(event.items);
      return requestId === undefined ? { action: 'createOrder', items } : { action: 'createOrder', items, requestId };
    }
    case 'pay': {
      const orderId = id(event, 'orderId');
      const method = event.method;
      if (typeof method !== 'string' || !METHODS.includes(method as PayMethod)) throw invalidArgument(`method must be one of ${METHODS.join(', ')}.`);
      return { action: 'pay', orderId, method: method as PayMethod };
    }
    case 'queryOrder': {
      const orderId = id(event, 'orderId');
      const payjsOrderId = optionalId(event, 'payjsOrderId');
      return payjsOrderId === undefined ? { action: 'queryOrder', orderId } : { action: 'queryOrder', orderId, payjsOrderId };
    }
    case 'cancelOrder':
      return { action: 'cancelOrder', orderId: id(event, 'orderId') };
    case 'requestRefund':
      return { action: 'requestRefund', orderId: id(event, 'orderId'), reason: text(event, 'reason', MAX_REASON) };
    case 'confirmReceipt':
      return { action: 'confirmReceipt', orderId: id(event, 'orderId') };
  }
}
