/** The payer's side of refunds: asking the merchant to refund a paid order. */
import type { Order } from '../../typings/checkout';
import { ApiError, call } from './api';

/** The server's limit for a request's reason (checkout's MAX_REASON), in characters, not UTF-16 units. */
export const MAX_REFUND_REASON = 80;

/** Characters as the server counts them (code points: an emoji is one). */
export function textLength(text: string): number {
  return text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '_').length;
}

/** The message to show for a text the server would refuse (empty, too long, control characters), or '' when it is fine. */
export function textError(text: string, label = '退款原因', max = MAX_REFUND_REASON): string {
  const t = text.trim();
  if (!t) return `请填写${label}`;
  if (textLength(t) > max) return `${label}最多 ${max} 个字`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(t)) return `${label}不能包含换行等控制字符`;
  return '';
}

/**
 * What WeChat Pay takes as a refund's reason: 80 bytes of UTF-8, not characters (the server's
 * MAX_REFUND_REASON_BYTES; the v3 申请退款 page: "不得超过80个字节"). About 26 Chinese characters.
 */
export const MAX_REFUND_REASON_BYTES = 80;

/** UTF-8 bytes of a text (the mini-program has no Buffer). */
export function utf8Length(text: string): number {
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** The message for a refund's reason (the merchant's form) the server would refuse, or ''. */
export function refundReasonError(text: string): string {
  const problem = textError(text);
  if (problem) return problem;
  return utf8Length(text.trim()) > MAX_REFUND_REASON_BYTES ? `退款原因最多 ${MAX_REFUND_REASON_BYTES} 字节（约 26 个汉字）` : '';
}

/**
 * Records the payer's request and answers the order with it. A request already open (a retry whose
 * first answer was lost, or another device) is no failure: the order is read again to show it.
 */
export async function requestRefund(orderId: string, reason: string): Promise<Order> {
  try {
    const { order } = await call<'requestRefund'>({ action: 'requestRefund', orderId, reason: reason.trim() });
    return order;
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'REFUND_REQUEST_OPEN') throw err;
    const { order } = await call<'queryOrder'>({ action: 'queryOrder', orderId });
    return order;
  }
}
