import type { RefundStatus } from '../../../../typings/checkout';
import { REFUND_STATUSES, type RefundReport } from '../../payment/refund';
import { parseRfc3339 } from '../../time';

/**
 * The v3 refund object (apply answer, query answer: `status`) and the decrypted refund notification
 * (`refund_status`), as a RefundReport. Only the fields the refund life cycle uses are read.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Thrown when a (verified) refund object lacks what we need or has it in the wrong shape. */
export class MalformedRefund extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRefund';
  }
}

function fen(amount: Record<string, unknown>, name: 'refund' | 'total'): number | undefined {
  const v = amount[name];
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || (v as number) <= 0) throw new MalformedRefund(`amount.${name} is not a whole number of fen: ${JSON.stringify(v)}.`);
  return v as number;
}

/**
 * `statusField` is `status` in answers and `refund_status` in notifications. A refund that names
 * another merchant than `mchid` is refused.
 */
export function toRefundReport(json: unknown, statusField: 'status' | 'refund_status', mchid: string): RefundReport {
  if (!isObject(json)) throw new MalformedRefund('refund is not a JSON object.');
  const outRefundNo = optString(json.out_refund_no);
  if (!outRefundNo) throw new MalformedRefund('refund has no out_refund_no.');
  const status = json[statusField];
  if (typeof status !== 'string' || !REFUND_STATUSES.includes(status as RefundStatus)) {
    throw new MalformedRefund(`refund has an unknown ${statusField} ${JSON.stringify(status)}.`);
  }
  if (json.mchid !== undefined && json.mchid !== mchid) throw new MalformedRefund(`refund is for merchant ${JSON.stringify(json.mchid)}, not ours.`);
  const report: RefundReport = { outRefundNo, status: status as RefundStatus };
  const amount = isObject(json.amount) ? json.amount : undefined;
  if (!amount || fen(amount, 'refund') === undefined) throw new MalformedRefund('refund has no amount.refund.');
  report.amountFen = fen(amount, 'refund');
  const total = fen(amount, 'total');
  if (total !== undefined) report.totalFen = total;
  if (json.success_time !== undefined && json.success_time !== '') {
    const at = typeof json.success_time === 'string' ? parseRfc3339(json.success_time) : undefined;
    if (at === undefined) throw new MalformedRefund(`success_time is not RFC 3339: ${JSON.stringify(json.success_time)}.`);
    report.succeededAt = at;
  }
  if (report.status === 'SUCCESS' && report.succeededAt === undefined && statusField === 'refund_status') {
    throw new MalformedRefund('a SUCCESS refund notification must carry success_time.');
  }
  const outTradeNo = optString(json.out_trade_no);
  if (outTradeNo) report.outTradeNo = outTradeNo;
  const refundId = optString(json.refund_id);
  if (refundId) report.providerRefundId = refundId;
  return report;
}
