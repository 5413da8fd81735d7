import * as crypto from 'node:crypto';
import type { RefundStatus } from '../../../../typings/checkout';
import { parseFen } from '../../money';
import type { RefundReport } from '../../payment/refund';
import { parseCompactBeijing } from '../../time';
import { V2FieldError } from './report';

/**
 * v2 refunds: the notification's `req_info` (no `sign`: its authenticity is that it decrypts under our
 * key) and the refund fields of notifications and /pay/refundquery answers as a RefundReport.
 */

/** `req_info`'s key: the lower-case hex md5 of the API key, whose 32 characters are the AES-256 key bytes. */
const reqInfoKey = (apiKey: string): Buffer => Buffer.from(crypto.createHash('md5').update(apiKey, 'utf8').digest('hex'), 'utf8');

/** Raised when `req_info` does not decrypt under our key (forged, or another merchant's). */
export class ReqInfoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReqInfoError';
  }
}

/** base64 → AES-256-ECB with PKCS#7 padding → the `<root>` XML of the refund. */
export function decryptReqInfo(reqInfo: string, apiKey: string): string {
  const data = Buffer.from(reqInfo, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) throw new ReqInfoError('req_info is not a whole number of AES blocks.');
  try {
    const decipher = crypto.createDecipheriv('aes-256-ecb', reqInfoKey(apiKey), null);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch (e) {
    throw new ReqInfoError(`req_info does not decrypt: ${(e as Error).message}`);
  }
}

/** The platform's side (emulator, tests). */
export function encryptReqInfo(plaintext: string, apiKey: string): string {
  const cipher = crypto.createCipheriv('aes-256-ecb', reqInfoKey(apiKey), null);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** v2 names for refund states: CHANGE is the v3 ABNORMAL, REFUNDCLOSE its CLOSED. */
const STATUSES: Record<string, RefundStatus> = { SUCCESS: 'SUCCESS', PROCESSING: 'PROCESSING', CHANGE: 'ABNORMAL', REFUNDCLOSE: 'CLOSED' };

/** `yyyy-MM-dd HH:mm:ss`, Beijing time, as refund times are written. */
function parseRefundTime(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  return m ? parseCompactBeijing(m.slice(1).join('')) : undefined;
}

function fen(name: string, s: string | undefined): number {
  const n = parseFen(s);
  if (n === undefined) throw new V2FieldError(`${name} is not a whole number of fen: ${JSON.stringify(s)}`);
  return n;
}

/**
 * The report of one refund, given the names its fields have in this document: a notification has
 * `refund_status`, a refundquery answer numbered `refund_status_0`….
 */
export function refundReportFrom(
  fields: Record<string, string>,
  names: { outRefundNo: string; refundId: string; refundFee: string; status: string; successTime: string },
): RefundReport {
  const outRefundNo = fields[names.outRefundNo];
  if (!outRefundNo) throw new V2FieldError(`${names.outRefundNo} is missing`);
  const status = STATUSES[fields[names.status]];
  if (!status) throw new V2FieldError(`unknown ${names.status} ${JSON.stringify(fields[names.status])}`);
  const report: RefundReport = { outRefundNo, status, amountFen: fen(names.refundFee, fields[names.refundFee]) };
  if (fields.out_trade_no) report.outTradeNo = fields.out_trade_no;
  if (fields.total_fee) report.totalFen = fen('total_fee', fields.total_fee);
  if (fields[names.refundId]) report.providerRefundId = fields[names.refundId];
  const time = fields[names.successTime];
  if (time) {
    const at = parseRefundTime(time);
    if (at === undefined) throw new V2FieldError(`${names.successTime} is not yyyy-MM-dd HH:mm:ss: ${JSON.stringify(time)}`);
    report.succeededAt = at;
  }
  return report;
}

/** An apply answer (SUCCESS = accepted): the refund is PROCESSING until a notification or query says more. */
export function acceptedRefundFrom(answer: Record<string, string>): RefundReport {
  const report: RefundReport = { outRefundNo: answer.out_refund_no, status: 'PROCESSING', amountFen: fen('refund_fee', answer.refund_fee) };
  if (answer.out_trade_no) report.outTradeNo = answer.out_trade_no;
  if (answer.total_fee) report.totalFen = fen('total_fee', answer.total_fee);
  if (answer.refund_id) report.providerRefundId = answer.refund_id;
  return report;
}

export const NOTIFICATION_FIELDS = { outRefundNo: 'out_refund_no', refundId: 'refund_id', refundFee: 'refund_fee', status: 'refund_status', successTime: 'success_time' };

/** The names of the `n`th refund in a /pay/refundquery answer. */
export const queryFields = (n: number) => ({
  outRefundNo: `out_refund_no_${n}`,
  refundId: `refund_id_${n}`,
  refundFee: `refund_fee_${n}`,
  status: `refund_status_${n}`,
  successTime: `refund_success_time_${n}`,
});
