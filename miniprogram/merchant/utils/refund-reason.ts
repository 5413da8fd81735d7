/** A refund's own reason, from the merchant's forms: what WeChat Pay takes. */
import { textError } from '../../services/refunds';

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
