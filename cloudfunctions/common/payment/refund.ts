import type { RefundStatus } from '../../../typings/checkout';
import { invalidArgument } from '../errors';
import type { TradeReport } from './gateway';

/**
 * What the refund life cycle needs from a payment provider. A provider's refund answer only means
 * "accepted": the outcome comes later, by notification or query, as a RefundReport.
 */

export interface RefundApplication {
  outTradeNo: string;
  /** One per refund, reused by every retry of it: the provider refunds a number at most once. */
  outRefundNo: string;
  /** The order's paid total (v3 `amount.total`, v2 `total_fee`). */
  totalFen: number;
  amountFen: number;
  /** At most MAX_REFUND_REASON_BYTES bytes in UTF-8. */
  reason?: string;
  notifyUrl?: string;
  /** The provider's transaction id (WeChat Pay's transaction_id), when known. */
  transactionId?: string;
  /** The provider's own id of the trade, for providers that refund by it (PAYJS: payjs_order_id). */
  providerOrderId?: string;
}

/** A refund the provider is asked about again (it was applied for with the same numbers). */
export interface RefundQuery {
  outTradeNo: string;
  outRefundNo: string;
  amountFen: number;
  totalFen: number;
  /** As in RefundApplication. */
  providerOrderId?: string;
}

/** A verified statement from the provider about one refund (apply answer, query or notification). */
export interface RefundReport {
  outRefundNo: string;
  /** Present when the provider names it (notifications always do); checked against the refund's order. */
  outTradeNo?: string;
  status: RefundStatus;
  /** The refund amount the provider reports, in fen; checked against the stored refund. */
  amountFen?: number;
  /** The order total the provider reports, in fen. */
  totalFen?: number;
  /** The provider's own refund id. */
  providerRefundId?: string;
  /** Epoch ms. */
  succeededAt?: number;
}

/** A verified notification: about a payment, or about a refund. */
export type ProviderNotification = { kind: 'payment'; report: TradeReport } | { kind: 'refund'; report: RefundReport };

/** WeChat Pay's rule for out_refund_no: 1–64 of digits, letters and `_-|*@`. */
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
/**
 * The refund reason WeChat Pay takes, in UTF-8 bytes, not characters: the v3 申请退款 page says
 * "该退款原因参数的长度不得超过80个字节" (pay.weixin.qq.com/docs/merchant/products/refund/apilist.html);
 * v2's refund_desc is the same String(80) field, read the same way (its page gives no unit). About 26
 * Chinese characters.
 */
export const MAX_REFUND_REASON_BYTES = 80;

/** Whether a refund reason fits what WeChat Pay takes. */
export const fitsRefundReason = (reason: string): boolean => Buffer.byteLength(reason, 'utf8') <= MAX_REFUND_REASON_BYTES;

/** Checks what every provider needs of a refund before anything is sent; INVALID_ARGUMENT otherwise. */
export function checkRefund(r: Pick<RefundApplication, 'outTradeNo' | 'outRefundNo' | 'totalFen' | 'amountFen' | 'reason'>): void {
  if (!/^[0-9A-Za-z_\-|*]{1,32}$/.test(r.outTradeNo)) throw invalidArgument(`out_trade_no must be 1–32 of [0-9A-Za-z_-|*]: ${JSON.stringify(r.outTradeNo)}.`);
  if (!OUT_REFUND_NO.test(r.outRefundNo)) throw invalidArgument(`out_refund_no must be 1–64 of [0-9A-Za-z_-|*@]: ${JSON.stringify(r.outRefundNo)}.`);
  if (!Number.isSafeInteger(r.totalFen) || r.totalFen <= 0) throw invalidArgument(`the order total must be a positive whole number of fen, not ${r.totalFen}.`);
  if (!Number.isSafeInteger(r.amountFen) || r.amountFen <= 0 || r.amountFen > r.totalFen) {
    throw invalidArgument(`the refund must be a whole number of fen from 1 to the order total ${r.totalFen}, not ${r.amountFen}.`);
  }
  if (r.reason !== undefined && (r.reason === '' || !fitsRefundReason(r.reason))) throw invalidArgument(`the refund reason must be 1–${MAX_REFUND_REASON_BYTES} bytes in UTF-8.`);
}

/** The refund statuses a provider may state; anything else is not a usable report. */
export const REFUND_STATUSES: readonly RefundStatus[] = ['PROCESSING', 'SUCCESS', 'CLOSED', 'ABNORMAL'];
