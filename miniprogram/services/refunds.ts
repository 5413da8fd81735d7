/**
 * The reason check the server applies to refund texts, shared by the payer's request (pay/components/
 * order-refunds) and the merchant's forms (merchant/store.ts, with WeChat Pay's byte limit on top).
 */

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
