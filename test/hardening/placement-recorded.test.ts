import type { PayMethod } from '../../typings/checkout';
import type { Config } from '../../cloudfunctions/common/config';
import { ProviderError } from '../../cloudfunctions/common/errors';
import type { OrderContext } from '../../cloudfunctions/common/orders/context';
import { createOrder } from '../../cloudfunctions/common/orders/create';
import { pay } from '../../cloudfunctions/common/orders/pay';
import { cancel, expire } from '../../cloudfunctions/common/orders/reconcile';
import { OrderRepository } from '../../cloudfunctions/common/orders/repository';
import type { Handout, PaymentAttempt, PaymentProvider, ProviderName, Trade, TradeQuery } from '../../cloudfunctions/common/payment/provider';
import type { Providers } from '../../cloudfunctions/common/payment/providers';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';

/**
 * Where a trade may exist at the provider, it is closed there (issue 11, item 4). A provider that
 * keeps its trades in memory stands in for WeChat Pay / PAYJS, so a lost answer and a race can be
 * staged exactly.
 */
class RecordingProvider implements Partial<PaymentProvider> {
  /** out_trade_no → state at the provider. */
  readonly trades = new Map<string, 'OPEN' | 'CLOSED'>();
  readonly closes: string[] = [];
  /** What `start` does after placing the trade: answer, or lose the answer. */
  answer: 'ok' | 'lost' = 'ok';
  /** Held until released: the placement is in flight meanwhile. */
  gate?: Promise<void>;
  readonly minPayWindowMs = 0;
  readonly queryBeforeClose = false;
  readonly label: string;
  readonly merchant = { mchid: '1900000109' };

  constructor(readonly name: ProviderName) {
    this.label = name;
  }
  nextQueryDelayMs() {
    return 10_000;
  }
  canQuery() {
    return true;
  }
  reusable(a: PaymentAttempt) {
    return a.provider === this.name && a.prepayId !== undefined;
  }
  async start(trade: Trade, _m: PayMethod, _p: { openid: string }, now: number): Promise<PaymentAttempt> {
    await this.gate;
    this.trades.set(trade.outTradeNo, 'OPEN');
    if (this.answer === 'lost') throw new ProviderError('payment provider unreachable: socket hang up', undefined, true);
    return { provider: this.name, tradeType: 'JSAPI', prepayId: `wx-${trade.outTradeNo}`, signType: 'RSA', placedAt: now, reusableUntil: now + 7200_000 };
  }
  handout(): Handout {
    return { method: 'wechat', payment: { timeStamp: '1', nonceStr: 'n', package: 'prepay_id=x', signType: 'RSA', paySign: 's' } };
  }
  async query(trade: Trade): Promise<TradeQuery> {
    // Never placed: nothing can have been paid (as WeChat Pay's ORDER_NOT_EXIST).
    return { report: { outTradeNo: trade.outTradeNo, state: this.trades.get(trade.outTradeNo) === 'CLOSED' ? 'CLOSED' : 'NOTPAY' } };
  }
  async close(trade: Trade) {
    this.closes.push(trade.outTradeNo);
    if (this.trades.has(trade.outTradeNo)) this.trades.set(trade.outTradeNo, 'CLOSED');
  }
}

function setup() {
  const db = createMemoryDatabase();
  const wxpay = new RecordingProvider('wxpay-v3');
  const payjs = new RecordingProvider('payjs');
  const byName = { 'wxpay-v3': wxpay, payjs } as Record<string, RecordingProvider>;
  const providers: Providers = {
    forOrder: (o) => (o.payment ? (byName[o.payment.provider] as unknown as PaymentProvider) : undefined),
    forMethod: (m) => (m === 'payjs' ? payjs : wxpay) as unknown as PaymentProvider,
    forNotification: () => undefined,
    named: (n) => byName[n] as unknown as PaymentProvider,
  };
  const config = { orderTtlSeconds: 1800, maxPendingOrders: 100 } as Config;
  const ctx: OrderContext = { db, repo: new OrderRepository(db), config, providers, now: () => Date.now() };
  const newOrder = async () => {
    await db.collection('products').doc('sku-1').set({ data: { name: 'Mug', priceFen: 100, stock: 100, active: true } });
    return createOrder(ctx, 'alice', [{ skuId: 'sku-1', quantity: 1 }]);
  };
  return { ctx, wxpay, payjs, newOrder };
}

describe('a placement whose answer was lost', () => {
  it('is closed at the provider by cancel', async () => {
    const { ctx, wxpay, newOrder } = setup();
    const order = await newOrder();
    wxpay.answer = 'lost';
    await expect(pay(ctx, order, 'wechat', 'alice')).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(wxpay.trades.get(order.outTradeNo)).toBe('OPEN');
    const cancelled = await cancel(ctx, (await ctx.repo.get(order._id))!);
    expect(cancelled).toMatchObject({ status: 'CLOSED', closeReason: 'CANCELLED' });
    expect(wxpay.trades.get(order.outTradeNo)).toBe('CLOSED');
  });

  it('is closed at the provider by expiry', async () => {
    const { ctx, wxpay, newOrder } = setup();
    const order = await newOrder();
    wxpay.answer = 'lost';
    await expect(pay(ctx, order, 'wechat', 'alice')).rejects.toBeInstanceOf(ProviderError);
    const late = { ...ctx, now: () => order.expiresAt + 1 };
    expect(await expire(late, (await ctx.repo.get(order._id))!)).toMatchObject({ status: 'CLOSED', closeReason: 'EXPIRED' });
    expect(wxpay.trades.get(order.outTradeNo)).toBe('CLOSED');
  });
});

describe('races', () => {
  it('a trade placed while the order was being cancelled is closed once placed', async () => {
    const { ctx, wxpay, newOrder } = setup();
    const order = await newOrder();
    let release!: () => void;
    wxpay.gate = new Promise((r) => (release = r));
    const paying = pay(ctx, order, 'wechat', 'alice').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    // The cancel closes first (nothing placed yet), then the placement lands.
    expect(await cancel(ctx, (await ctx.repo.get(order._id))!)).toMatchObject({ status: 'CLOSED' });
    release();
    expect(await paying).toMatchObject({ code: 'ORDER_CLOSED' });
    expect(wxpay.trades.get(order.outTradeNo)).toBe('CLOSED');
  });

  it('pays racing with different methods: one wins, no trade of the loser stays open', async () => {
    const { ctx, wxpay, payjs, newOrder } = setup();
    for (let i = 0; i < 10; i++) {
      const order = await newOrder();
      const results = await Promise.all((['wechat', 'payjs', 'wechat', 'payjs'] as PayMethod[]).map((m) => pay(ctx, order, m, 'alice').then(() => m, (e: { code?: string }) => e.code)));
      const won = (await ctx.repo.get(order._id))!.payMethod;
      expect(results.filter((r) => r === won).length).toBeGreaterThanOrEqual(1);
      expect(results.filter((r) => r !== won).every((r) => r === 'METHOD_MISMATCH')).toBe(true);
      const loser = won === 'payjs' ? wxpay : payjs;
      expect(loser.trades.get(order.outTradeNo) ?? 'CLOSED').toBe('CLOSED');
    }
  });
});
