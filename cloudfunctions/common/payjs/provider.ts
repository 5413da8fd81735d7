import type { PayMethod } from '../../../typings/checkout';
import type { PayjsConfig } from '../config';
import { AppError, invalidArgument } from '../errors';
import type { HttpReply, HttpRequestLike, TradeReport } from '../payment/gateway';
import type { Handout, MerchantIdentity, PaymentAttempt, PaymentProvider, Trade, TradeQuery } from '../payment/provider';
import type { ProviderOptions } from '../payment/providers';
import type { ProviderNotification, RefundApplication, RefundQuery, RefundReport } from '../payment/refund';
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

  async refund(application: RefundApplication): Promise<RefundReport> {
    throw new AppError('REFUND_UNAVAILABLE', `PAYJS refunds are not implemented yet (${application.outRefundNo}).`);
  }

  async queryRefund(query: RefundQuery): Promise<RefundReport> {
    throw new AppError('REFUND_UNAVAILABLE', `PAYJS refunds are not implemented yet (${query.outRefundNo}).`);
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
