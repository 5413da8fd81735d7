import type { PayMethod } from '../../../typings/checkout';
import type { WxPayConfig } from '../config';
import { AppError, ProviderError } from '../errors';
import type { HttpReply, HttpRequestLike, NotificationContext, TradeType, WxPayGateway } from '../payment/gateway';
import type { Handout, MerchantIdentity, PaymentAttempt, PaymentProvider, Trade, TradeQuery } from '../payment/provider';
import { TradeConflict } from '../payment/provider';
import type { ProviderNotification, RefundApplication, RefundQuery, RefundReport } from '../payment/refund';
import { V3_TIME_EXPIRE_MARGIN_MS } from './v3/gateway';

/**
 * WeChat Pay (v3 or v2, whichever gateway it is given) as a PaymentProvider: the parts both versions
 * share (trade reuse, query back-off, hand-out). Each version's provider.ts builds it with its gateway.
 */

/** A prepay_id or code_url is valid for 2 hours; reuse it while at least a minute of that is left. */
const PREPAY_VALID_MS = 2 * 3600 * 1000;
const REUSE_MARGIN_MS = 60 * 1000;
/** Delays between active queries of a trade, after the first one 10 s after placing it. */
const QUERY_DELAYS_MS = [10_000, 20_000, 40_000, 60_000];
/**
 * v2 refuses a time_expire that is too close ("time_expire时间过短，刷卡至少1分钟，其他5分钟"); v3 extends
 * it to a minute after placing the trade, so a margin is kept (the gateway checks it again before
 * each attempt). An order with less time left than this can no longer be paid, so it is closed instead.
 */
const MIN_PAY_WINDOW_MS = { v3: V3_TIME_EXPIRE_MARGIN_MS, v2: 5 * 60_000 } as const;

const tradeTypeOf = (method: PayMethod): TradeType => {
  if (method === 'wechat') return 'JSAPI';
  if (method === 'native') return 'NATIVE';
  throw new AppError('METHOD_UNAVAILABLE', `WeChat Pay does not take ${method} payments.`);
};

export class WxPayProvider implements PaymentProvider {
  readonly name: 'wxpay-v3' | 'wxpay-v2';
  readonly label = 'WeChat Pay';
  readonly merchant: MerchantIdentity;
  readonly minPayWindowMs: number;
  readonly queryBeforeClose = false;

  constructor(
    private readonly gateway: WxPayGateway,
    private readonly config: WxPayConfig,
  ) {
    this.name = gateway.version === 'v3' ? 'wxpay-v3' : 'wxpay-v2';
    this.merchant = { mchid: config.mchid, appid: config.appid };
    this.minPayWindowMs = MIN_PAY_WINDOW_MS[gateway.version];
  }

  nextQueryDelayMs(count: number): number {
    return QUERY_DELAYS_MS[Math.min(count, QUERY_DELAYS_MS.length - 1)];
  }

  canQuery(): boolean {
    return true;
  }

  reusable(attempt: PaymentAttempt, method: PayMethod, now: number): boolean {
    return attempt.provider === this.name && attempt.tradeType === tradeTypeOf(method) && (attempt.reusableUntil ?? 0) > now + REUSE_MARGIN_MS;
  }

  async start(trade: Trade, method: PayMethod, payer: { openid: string }, now: number): Promise<PaymentAttempt> {
    const tradeType = tradeTypeOf(method);
    const result = await this.gateway
      .prepay({
        outTradeNo: trade.outTradeNo,
        description: trade.description,
        amountFen: trade.amountFen,
        expiresAt: trade.expiresAt,
        notifyUrl: this.config.notifyUrl,
        tradeType,
        openid: tradeType === 'JSAPI' ? payer.openid : undefined,
      })
      .catch((err: unknown) => {
        // Paid (its notification still on the way) or closed at WeChat Pay: the order service says which.
        if (err instanceof ProviderError && /^ORDER_?PAID$/.test(err.providerCode ?? '')) throw new TradeConflict('PAID', err);
        if (err instanceof ProviderError && /^ORDER_?CLOSED$/.test(err.providerCode ?? '')) throw new TradeConflict('CLOSED', err);
        throw err;
      });
    return {
      provider: this.name,
      tradeType,
      signType: result.signType,
      placedAt: now,
      reusableUntil: now + PREPAY_VALID_MS,
      ...(result.tradeType === 'JSAPI' ? { prepayId: result.prepayId } : { codeUrl: result.codeUrl }),
    };
  }

  handout(trade: Trade, attempt: PaymentAttempt, method: PayMethod): Handout {
    const { prepayId, codeUrl, signType = 'RSA' } = attempt;
    if (method === 'native' && codeUrl) return { method, codeUrl };
    // The second signing is made fresh for every hand-out (new timeStamp and nonceStr, same prepay_id).
    if (method === 'wechat' && prepayId) return { method, payment: this.gateway.requestPaymentParams(prepayId, signType) };
    throw new Error(`trade ${trade.outTradeNo}: a ${attempt.tradeType} attempt without its prepay_id/code_url`);
  }

  async query(trade: Trade): Promise<TradeQuery> {
    return { report: await this.gateway.query(trade.outTradeNo) };
  }

  close(trade: Trade): Promise<void> {
    return this.gateway.close(trade.outTradeNo);
  }

  refund(application: RefundApplication): Promise<RefundReport> {
    return this.gateway.refund({ ...application, notifyUrl: application.notifyUrl ?? this.config.refundNotifyUrl ?? this.config.notifyUrl });
  }

  queryRefund(query: RefundQuery): Promise<RefundReport> {
    return this.gateway.queryRefund(query);
  }

  readNotification(req: HttpRequestLike, ctx: NotificationContext): Promise<ProviderNotification> {
    return this.gateway.readAnyNotification(req, ctx);
  }

  ackNotification(): HttpReply {
    return this.gateway.ackNotification();
  }

  rejectNotification(statusCode: number, message: string): HttpReply {
    return this.gateway.rejectNotification(statusCode, message);
  }
}
