import { parseRfc3339 } from '../../time';
import type { TradeReport, TradeState } from '../../payment/gateway';

/**
 * The v3 transaction object (query answer, and the decrypted notification resource) and its mapping to
 * a TradeReport. Only the fields the order service uses are read.
 */
export interface V3Transaction {
  appid?: string;
  mchid?: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type?: string;
  trade_state: TradeState;
  trade_state_desc?: string;
  success_time?: string;
  attach?: string;
  payer?: { openid?: string };
  amount?: { total?: number; payer_total?: number; currency?: string; payer_currency?: string };
}

const STATES: readonly TradeState[] = ['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Thrown when a (verified) transaction object lacks what we need or has it in the wrong shape. */
export class MalformedTransaction extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedTransaction';
  }
}

export function toTradeReport(json: unknown): TradeReport {
  if (!isObject(json)) throw new MalformedTransaction('transaction is not a JSON object.');
  const outTradeNo = optString(json.out_trade_no);
  if (!outTradeNo) throw new MalformedTransaction('transaction has no out_trade_no.');
  const state = json.trade_state;
  if (typeof state !== 'string' || !STATES.includes(state as TradeState)) {
    throw new MalformedTransaction(`transaction has an unknown trade_state ${JSON.stringify(state)}.`);
  }
  const report: TradeReport = { outTradeNo, state: state as TradeState };
  const amount = isObject(json.amount) ? json.amount : undefined;
  if (amount && amount.total !== undefined) {
    if (!Number.isSafeInteger(amount.total) || (amount.total as number) < 0) {
      throw new MalformedTransaction(`amount.total is not a whole number of fen: ${JSON.stringify(amount.total)}.`);
    }
    report.amountFen = amount.total as number;
  }
  if (json.success_time !== undefined) {
    const paidAt = typeof json.success_time === 'string' ? parseRfc3339(json.success_time) : undefined;
    if (paidAt === undefined) throw new MalformedTransaction(`success_time is not RFC 3339: ${JSON.stringify(json.success_time)}.`);
    report.paidAt = paidAt;
  }
  const set = <K extends 'appid' | 'mchid' | 'transactionId' | 'openid'>(k: K, v: string | undefined) => {
    if (v !== undefined) report[k] = v;
  };
  set('appid', optString(json.appid));
  set('mchid', optString(json.mchid));
  set('transactionId', optString(json.transaction_id));
  set('openid', isObject(json.payer) ? optString(json.payer.openid) : undefined);
  if (report.state === 'SUCCESS' && (report.amountFen === undefined || report.paidAt === undefined)) {
    throw new MalformedTransaction('a SUCCESS transaction must carry amount.total and success_time.');
  }
  return report;
}
