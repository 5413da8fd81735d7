import type { PayData, PayMethod, RequestPaymentParams } from '../../../typings/checkout';
import { ProviderError } from '../errors';
import type { HttpReply, HttpRequestLike, NotificationContext, TradeReport } from './gateway';
import type { ProviderNotification, RefundApplication, RefundQuery, RefundReport } from './refund';

/**
 * One payment provider (WeChat Pay v3, v2, PAYJS …) as the order service and the functions see it.
 * Each provider folder implements it in its `provider.ts`; `providers.ts` registers them. Nothing above
 * this interface knows which provider it talks to.
 */

/** The registered providers, as stored on an order (`order.payment.provider`). */
export type ProviderName = 'wxpay-v3' | 'wxpay-v2' | 'payjs';

/** The provider-side trade of an order, kept so a re-pay reuses it. */
export interface PaymentAttempt {
  provider: ProviderName;
  tradeType: 'JSAPI' | 'NATIVE' | 'PAYJS';
  prepayId?: string;
  codeUrl?: string;
  signType?: RequestPaymentParams['signType'];
  placedAt: number;
  /** prepay_id / code_url are valid for 2 hours at WeChat Pay. */
  reusableUntil?: number;
}

/** What a provider is told about an order's trade. */
export interface Trade {
  outTradeNo: string;
  amountFen: number;
  /** Shown to the payer (at most 127 bytes; each provider cuts to its own limit). */
  description: string;
  /** Epoch ms. */
  expiresAt: number;
  /** The provider's own id of the trade, when the provider has one that we learn from the client (PAYJS). */
  providerOrderId?: string;
}

/** The merchant a provider's reports must name: ours, as configured. */
export interface MerchantIdentity {
  mchid: string;
  appid?: string;
}

/** What the client gets to pay with: `PayData` without the order. */
export type Handout = PayData extends infer P ? (P extends { order: unknown } ? Omit<P, 'order'> : never) : never;

/** An active query's answer. */
export interface TradeQuery {
  /** Undefined when the provider could not be asked about this trade. */
  report?: TradeReport;
  /**
   * The provider says `providerOrderId` is not this order's (unknown to it, or another order's). The
   * caller forgets it, so the right id can still be reported.
   */
  foreignOrderId?: boolean;
}

/**
 * The provider refused to place the trade because it is already paid or closed there. The order
 * service settles or closes the order instead; uncaught it is the same PROVIDER_ERROR as before.
 */
export class TradeConflict extends ProviderError {
  constructor(
    readonly state: 'PAID' | 'CLOSED',
    cause: ProviderError,
  ) {
    super(cause.message, cause.providerCode, cause.retryable);
    this.name = 'TradeConflict';
  }
}

export interface PaymentProvider {
  readonly name: ProviderName;
  /** For log lines and messages ("WeChat Pay", "PAYJS"). */
  readonly label: string;
  /** The merchant its reports must name. */
  readonly merchant: MerchantIdentity;
  /** A new trade needs at least this long before the order expires (WeChat Pay refuses a closer time_expire). */
  readonly minPayWindowMs: number;
  /** True when close needs a query first that ties the trade to the order (PAYJS closes by an id from the client). */
  readonly queryBeforeClose: boolean;

  /** The delay before the next active query, after `count` queries (its own back-off). */
  nextQueryDelayMs(count: number): number;
  /** Whether the trade can be asked about now (PAYJS: only once its id is known). */
  canQuery(trade: Trade): boolean;
  /**
   * Checks an id of the provider's trade that the client reported (PAYJS's return hint); throws
   * INVALID_ARGUMENT for a bad one. Absent when the provider takes no such hint.
   */
  checkClientOrderId?(id: string): void;

  /** Whether the stored attempt can be handed out again for `method` now. */
  reusable(attempt: PaymentAttempt, method: PayMethod, now: number): boolean;
  /** Places (or, with the same out_trade_no and parameters, re-places) the trade; the attempt to store. May throw TradeConflict. */
  start(trade: Trade, method: PayMethod, payer: { openid: string }, now: number): Promise<PaymentAttempt>;
  /** What the client pays with; second signatures are made fresh each time. */
  handout(trade: Trade, attempt: PaymentAttempt, method: PayMethod): Handout;
  /** Active query; reports are verified. */
  query(trade: Trade): Promise<TradeQuery>;
  /**
   * Closes the trade at the provider; closing a closed trade is no error. `checked` is a report from a
   * query made just before, for providers with `queryBeforeClose`.
   */
  close(trade: Trade, checked?: TradeReport): Promise<void>;

  /** Applies for a refund. The answer only means "accepted" unless its status says otherwise. */
  refund(application: RefundApplication): Promise<RefundReport>;
  /** Asks about a refund again (for refunds still PROCESSING). */
  queryRefund(query: RefundQuery): Promise<RefundReport>;

  /** Verifies and decodes a payment or refund notification; throws NotificationRejected. */
  readNotification(req: HttpRequestLike, ctx: NotificationContext): Promise<ProviderNotification>;
  /** "Received, stop sending." */
  ackNotification(): HttpReply;
  /** "Not accepted, send again later." */
  rejectNotification(statusCode: number, message: string): HttpReply;
}
