import type { PayMethod } from '../../../typings/checkout';
import type { PayjsConfig } from '../config';
import { AppError, invalidArgument, ProviderError } from '../errors';
import type { HttpReply, HttpRequestLike, TradeReport } from '../payment/gateway';
import type { Handout, MerchantIdentity, PaymentAttempt, PaymentProvider, Trade, TradeQuery } from '../payment/provider';
import type { ProviderOptions } from '../payment/providers';
import { checkRefund, type ProviderNotification, type RefundApplication, type RefundQuery, type RefundReport } from '../payment/refund';
import { isPayjsOrderId, nextCheckDelayMs, PayjsClient, rejectsPayjsOrderId } from './client';
import { buildPayjsJump } from './jump';
import { payjsAck, payjsReject, readPayjsNotification, type PayjsTradeReport } from './notification';

/**
 * PAYJS (the mini-program jump) as a PaymentProvider. PAYJS is asked and closed by its own order id,
 * which we learn from the client's return hint or a notification: until one is known there is nothing
 * to ask, and an id from the client counts only once a check ties it to the order.
 */
export class PayjsProvider implements PaymentProvider {
  readonly name = 'payjs' as const;
  readonly label = 'PAYJS';
  readonly merchant: MerchantIdentity;
  /** PAYJS gets no time_expire, so there is no window to respect. */
  readonly minPayWindowMs = 0;
  /** Closing goes by an id that came from the client: a check must tie it to the order first. */
  readonly queryBeforeClose = true;
  private readonly client: PayjsClient;

  constructor(
    private readonly config: PayjsConfig,
    options: ProviderOptions = {},
  ) {
    this.merchant = { mchid: config.mchid };
    this.client = new PayjsClient(config, { timeoutMs: options.timeoutMs });
  }

  nextQueryDelayMs(count: number): number {
    return nextCheckDelayMs(count);
  }

  canQuery(trade: Trade): boolean {
    return trade.providerOrderId !== undefined;
  }

  checkClientOrderId(id: string): void {
    if (!isPayjsOrderId(id)) throw invalidArgument('payjsOrderId must be 1–32 letters, digits, _ or -.');
  }

  reusable(attempt: PaymentAttempt): boolean {
    return attempt.provider === this.name;
  }

  /** Nothing is placed in advance: the jump itself is the order, signed afresh for each hand-out. */
  async start(_trade: Trade, _method: PayMethod, _payer: { openid: string }, now: number): Promise<PaymentAttempt> {
    return { provider: this.name, tradeType: 'PAYJS', placedAt: now };
  }

  handout(trade: Trade): Handout {
    return { method: 'payjs', payjs: buildPayjsJump(this.config, { outTradeNo: trade.outTradeNo, amountFen: trade.amountFen, description: trade.description }) };
  }

  async query(trade: Trade): Promise<TradeQuery> {
    const id = trade.providerOrderId;
    if (id === undefined) return {};
    let report: PayjsTradeReport;
    try {
      report = await this.client.check(id);
    } catch (err) {
      if (!rejectsPayjsOrderId(err)) throw err;
      console.warn('[query] PAYJS does not know order', id, 'reported for', trade.outTradeNo, (err as Error).message);
      return { foreignOrderId: true };
    }
    if (report.outTradeNo === trade.outTradeNo) return { report: withOrderId(report) };
    console.warn('[query] PAYJS order', id, 'belongs to', report.outTradeNo, 'not', trade.outTradeNo);
    return { foreignOrderId: true };
  }

  async close(trade: Trade, checked?: TradeReport): Promise<void> {
    if (trade.providerOrderId !== undefined && checked) await this.client.close(trade.providerOrderId);
  }

  /**
   * PAYJS refunds the whole order by its payjs_order_id (no partial refunds, no refund number of ours).
   * It has no refund query and no refund notification: the answer return_code 1 is the final success.
   */
  async refund(application: RefundApplication): Promise<RefundReport> {
    checkRefund(application);
    if (application.amountFen !== application.totalFen) {
      throw new AppError('REFUND_UNAVAILABLE', `PAYJS refunds only the whole order (${application.totalFen} fen), not ${application.amountFen} fen of it.`);
    }
    const id = application.providerOrderId;
    if (id === undefined) throw new AppError('REFUND_UNAVAILABLE', `The PAYJS order id of ${application.outTradeNo} is not known, so PAYJS cannot be asked to refund it; refund it in the PAYJS dashboard.`);
    const answer = await this.client.refund(id);
    if (answer.outTradeNo !== undefined && answer.outTradeNo !== application.outTradeNo) {
      throw new ProviderError(`PAYJS refunded order ${id} as ${answer.outTradeNo}, not ${application.outTradeNo}: check the PAYJS dashboard.`);
    }
    // PAYJS states no amount: the whole order is what it refunds.
    return { outRefundNo: application.outRefundNo, outTradeNo: application.outTradeNo, status: 'SUCCESS' };
  }

  /**
   * PAYJS cannot be asked about a refund. What is known: a refund whose answer arrived is final (SUCCESS
   * or refused); one still PROCESSING lost its answer, so the only way to learn its outcome is to send
   * the same whole-order refund again, which PAYJS can carry out only once for the order. Its answer
   * is this report; a refusal (e.g. already refunded) is a ProviderError to settle in the PAYJS dashboard.
   */
  queryRefund(query: RefundQuery): Promise<RefundReport> {
    return this.refund({ outTradeNo: query.outTradeNo, outRefundNo: query.outRefundNo, totalFen: query.totalFen, amountFen: query.amountFen, providerOrderId: query.providerOrderId });
  }

  async readNotification(req: HttpRequestLike): Promise<ProviderNotification> {
    return { kind: 'payment', report: withOrderId(await readPayjsNotification(this.config, req)) };
  }

  ackNotification(): HttpReply {
    return payjsAck();
  }

  rejectNotification(statusCode: number, message: string): HttpReply {
    return payjsReject(statusCode, message);
  }
}

/** The PAYJS order id as the provider order id the order service keeps (a refund needs it). */
const withOrderId = (report: PayjsTradeReport): PayjsTradeReport => ({ ...report, providerOrderId: report.payjsOrderId });
