import type { TradeReport, TradeState } from '../../payment/gateway';
import { parseFen } from '../../money';
import { parseCompactBeijing } from '../../time';

/** A field of a verified v2 document that does not have the shape the protocol promises. */
export class V2FieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'V2FieldError';
  }
}

const STATES: Record<string, TradeState> = {
  SUCCESS: 'SUCCESS',
  REFUND: 'REFUND',
  NOTPAY: 'NOTPAY',
  CLOSED: 'CLOSED',
  REVOKED: 'REVOKED',
  USERPAYING: 'USERPAYING',
  // v2 only: "received, waiting for the debit" (付款码); still unpaid for us.
  ACCEPT: 'USERPAYING',
  PAYERROR: 'PAYERROR',
};

export function tradeStateOf(s: string | undefined): TradeState {
  const state = s === undefined ? undefined : STATES[s];
  if (!state) throw new V2FieldError(`unknown trade_state ${JSON.stringify(s)}`);
  return state;
}

function fenOf(name: string, s: string): number {
  const n = parseFen(s);
  if (n === undefined) throw new V2FieldError(`${name} is not a whole number of fen: ${JSON.stringify(s)}`);
  return n;
}

/**
 * The TradeReport of a verified orderquery answer or notification. `required` lists the fields this
 * document must carry (a paid trade must state its amount and transaction).
 */
export function tradeReportFrom(fields: Record<string, string>, state: TradeState, required: readonly string[] = []): TradeReport {
  for (const name of ['out_trade_no', ...required]) {
    if (!fields[name]) throw new V2FieldError(`${name} is missing`);
  }
  const report: TradeReport = { outTradeNo: fields.out_trade_no, state };
  if (fields.appid) report.appid = fields.appid;
  if (fields.mch_id) report.mchid = fields.mch_id;
  if (fields.total_fee) report.amountFen = fenOf('total_fee', fields.total_fee);
  if (fields.transaction_id) report.transactionId = fields.transaction_id;
  if (fields.openid) report.openid = fields.openid;
  if (fields.time_end) {
    const paidAt = parseCompactBeijing(fields.time_end);
    if (paidAt === undefined) throw new V2FieldError(`time_end is not yyyyMMddHHmmss: ${JSON.stringify(fields.time_end)}`);
    report.paidAt = paidAt;
  }
  return report;
}
