import type { RefundStatus } from '../../../typings/checkout';
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
  /** At most 80 characters. */
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
