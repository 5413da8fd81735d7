import type { PayjsConfig } from '../config';
import { invalidArgument, ProviderError } from '../errors';
import { httpRequest, TransportError } from '../http';
import { parseFen } from '../money';
import { encodeForm } from './form';
import type { PayjsTradeReport } from './notification';
import { signPayjs, verifyPayjsSign, type PayjsParams } from './sign';
import { parsePayjsTime } from './time';

/**
 * PAYJS blocks IPs that poll `/api/check` hard (help.payjs.cn, 订单查询). The delay the order service
 * waits before the next check, given how many checks were already made (0 before the first one,
 * which is counted from the jump).
 */
const CHECK_DELAYS_MS = [5_000, 15_000, 30_000, 60_000];
const CHECK_DELAY_CAP_MS = 120_000;

export function nextCheckDelayMs(attempt: number): number {
  if (!Number.isSafeInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a whole number from 0, not ${attempt}`);
  return CHECK_DELAYS_MS[attempt] ?? CHECK_DELAY_CAP_MS;
}

/**
 * A check runs inside queryOrder, and a cloud function stops after 3 s unless configured otherwise
 * (云函数 timeout, default 3 s): give up well before that, so the caller still gets the order as known.
 */
const DEFAULT_TIMEOUT_MS = 2_000;

/** The shape of a PAYJS order id as this client accepts it (the id may come from the client's hint). */
export function isPayjsOrderId(id: unknown): id is string {
  return typeof id === 'string' && /^[0-9A-Za-z_-]{1,32}$/.test(id);
}

/** The PAYJS APIs this client calls; each takes a PAYJS order id and answers signed JSON. */
type PayjsApi = 'check' | 'close' | 'refund';

/**
 * Whether a check failed in a way that says PAYJS does not know the order id as ours: a signed refusal
 * (return_code 0, e.g. an unknown order) or an answer without a valid sign (PAYJS adds `msg` to failure
 * answers and may leave them unsigned). Transport errors, HTTP errors and odd answers say nothing about
 * the id.
 */
export function rejectsPayjsOrderId(err: unknown): boolean {
  return err instanceof ProviderError && (err.providerCode === 'CHECK_FAILED' || err.providerCode === 'SIGN_ERROR');
}

/** Order query and close by PAYJS order id. One request per call: no retry loop, the caller rate-limits. */
export class PayjsClient {
  private readonly timeoutMs: number;

  constructor(
    private readonly config: PayjsConfig,
    opts: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** `POST /api/check` (help.payjs.cn, 订单查询): what PAYJS knows of the order, signature verified. */
  async check(payjsOrderId: string): Promise<PayjsTradeReport> {
    return this.readCheck(payjsOrderId, await this.call('check', payjsOrderId));
  }

  /**
   * `POST /api/close` (help.payjs.cn, 关闭订单): the order can no longer be paid. A refusal (e.g. the
   * order is paid) is a ProviderError with providerCode CLOSE_FAILED; the caller checks what happened.
   */
  async close(payjsOrderId: string): Promise<void> {
    const fields = await this.call('close', payjsOrderId);
    if (String(fields.payjs_order_id) !== payjsOrderId) throw new ProviderError('PAYJS close answer is for another order');
  }

  /**
   * `POST /api/refund` (help.payjs.cn, 退款): refunds the whole order; PAYJS has no partial refunds.
   * PAYJS has no refund query and no refund notification: its answer return_code 1 is the final
   * success. A refusal is a ProviderError with providerCode REFUND_FAILED.
   */
  async refund(payjsOrderId: string): Promise<{ outTradeNo?: string; transactionId?: string }> {
    const fields = await this.call('refund', payjsOrderId);
    if (String(fields.payjs_order_id) !== payjsOrderId) throw new ProviderError('PAYJS refund answer is for another order');
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    return { outTradeNo: text(fields.out_trade_no), transactionId: text(fields.transaction_id) };
  }

  /** Sends `{payjs_order_id, sign}` to the API; the answer's fields once its sign and return_code are good. */
  private async call(api: PayjsApi, payjsOrderId: string): Promise<PayjsParams> {
    // The id comes from the PAYJS mini-program's return hint, i.e. from the client: check its shape.
    if (!isPayjsOrderId(payjsOrderId)) {
      throw invalidArgument('payjsOrderId must be 1–32 letters, digits, _ or -.');
    }
    const params = { payjs_order_id: payjsOrderId };
    let answer;
    try {
      answer = await httpRequest({
        method: 'POST',
        url: `${this.config.apiBase}/api/${api}`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: encodeForm({ ...params, sign: signPayjs(params, this.config.key) }),
        timeoutMs: this.timeoutMs,
      });
    } catch (e) {
      if (e instanceof TransportError) throw new ProviderError(`PAYJS ${api} unreachable: ${e.message}`, undefined, true);
      throw e;
    }
    if (answer.status >= 500) throw new ProviderError(`PAYJS ${api} answered HTTP ${answer.status}`, `HTTP_${answer.status}`, true);
    if (answer.status !== 200) throw new ProviderError(`PAYJS ${api} answered HTTP ${answer.status}`, `HTTP_${answer.status}`);
    const fields = parseAnswer(api, answer.body);
    // Failure answers carry `msg` (check) or `return_msg` (close); name it, but trust nothing unsigned.
    const said = [fields.return_msg, fields.msg].find((m) => typeof m === 'string' && m !== '');
    const msg = said === undefined ? '' : `: ${said}`;
    if (!verifyPayjsSign(fields, this.config.key)) throw new ProviderError(`PAYJS ${api} answer has no valid sign${msg}`, 'SIGN_ERROR');
    if (String(fields.return_code) !== '1') throw new ProviderError(`PAYJS ${api} failed${msg}`, `${api.toUpperCase()}_FAILED`);
    return fields;
  }

  private readCheck(payjsOrderId: string, fields: PayjsParams): PayjsTradeReport {
    if (fields.mchid !== undefined && String(fields.mchid) !== this.config.mchid) throw new ProviderError('PAYJS check answer is for another mchid');
    if (String(fields.payjs_order_id) !== payjsOrderId) throw new ProviderError('PAYJS check answer is for another order');
    const outTradeNo = fields.out_trade_no;
    if (typeof outTradeNo !== 'string' || outTradeNo === '') throw new ProviderError('PAYJS check answer has no out_trade_no');
    const status = String(fields.status);
    if (status !== '1' && status !== '0') throw new ProviderError(`PAYJS check answer has status ${status}`);
    const present = fields.total_fee !== undefined && fields.total_fee !== null && fields.total_fee !== '';
    const amountFen = present ? parseFen(fields.total_fee) : undefined;
    if (present && amountFen === undefined) throw new ProviderError(`PAYJS check answer has total_fee ${JSON.stringify(fields.total_fee)}`);
    // A paid answer without its amount cannot be compared with the order: refuse it.
    if (status === '1' && amountFen === undefined) throw new ProviderError('PAYJS check answer is paid but has no total_fee');
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const paidTime = text(fields.paid_time);
    return {
      outTradeNo,
      state: status === '1' ? 'SUCCESS' : 'NOTPAY',
      mchid: this.config.mchid,
      amountFen,
      transactionId: text(fields.transaction_id),
      paidAt: paidTime === undefined ? undefined : parsePayjsTime(paidTime),
      openid: text(fields.openid),
      payjsOrderId,
      attach: text(fields.attach),
    };
  }
}

/** The JSON answer as a flat map of signable values (what PAYJS signed before encoding it). */
function parseAnswer(api: PayjsApi, raw: Buffer): PayjsParams {
  let data: unknown;
  try {
    data = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ProviderError(`PAYJS ${api} answer is not JSON`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ProviderError(`PAYJS ${api} answer is not a JSON object`);
  const fields: PayjsParams = {};
  for (const [name, value] of Object.entries(data)) {
    const ok = value === null || typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
    if (!ok) throw new ProviderError(`PAYJS ${api} answer field ${name} cannot be verified`);
    fields[name] = value as string | number | null;
  }
  return fields;
}
