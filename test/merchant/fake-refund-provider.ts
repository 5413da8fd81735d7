import { AppError, ProviderError } from '../../cloudfunctions/common/errors';
import { TransportError } from '../../cloudfunctions/common/http';
import type { OrderContext } from '../../cloudfunctions/common/orders/context';
import { OrderRepository } from '../../cloudfunctions/common/orders/repository';
import type { OrderDoc } from '../../cloudfunctions/common/orders/model';
import type { PaymentProvider } from '../../cloudfunctions/common/payment/provider';
import type { RefundApplication, RefundQuery, RefundReport } from '../../cloudfunctions/common/payment/refund';
import type { RefundStatus } from '../../typings/checkout';
import { startContext } from '../../cloudfunctions/common/start';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';

/**
 * A provider's refund side, in process: it keeps each refund by out_refund_no like WeChat Pay does (the
 * same number refunds once; another amount with it is refused), so the life cycle can be tested besides
 * the emulators. `next` makes the next application fail in a chosen way.
 */
export class FakeRefundProvider implements Pick<PaymentProvider, 'refund' | 'queryRefund'> {
  readonly applications: RefundApplication[] = [];
  readonly queries: string[] = [];
  readonly refunds = new Map<string, { app: RefundApplication; status: RefundStatus }>();
  next: 'unreachable' | 'refuse' | 'accept-then-unreachable' | undefined;
  partial = true;

  async refund(app: RefundApplication): Promise<RefundReport> {
    // Refused before anything is sent, as a provider without partial refunds does.
    if (!this.partial && app.amountFen !== app.totalFen) throw new AppError('REFUND_UNAVAILABLE', 'This provider refunds only the whole order.');
    this.applications.push(app);
    const mode = this.next;
    this.next = undefined;
    if (mode === 'unreachable') throw new TransportError('connect ECONNREFUSED');
    if (mode === 'refuse') throw new ProviderError('余额不足', 'NOT_ENOUGH');
    const known = this.refunds.get(app.outRefundNo);
    if (known && known.app.amountFen !== app.amountFen) throw new ProviderError('退款金额与原单不符', 'INVALID_REQUEST');
    if (!known) this.refunds.set(app.outRefundNo, { app, status: 'PROCESSING' });
    if (mode === 'accept-then-unreachable') throw new TransportError('socket hang up');
    return this.report(app.outRefundNo);
  }

  async queryRefund(q: RefundQuery): Promise<RefundReport> {
    this.queries.push(q.outRefundNo);
    if (!this.refunds.has(q.outRefundNo)) throw new ProviderError('退款单不存在', 'RESOURCE_NOT_EXISTS');
    return this.report(q.outRefundNo);
  }

  /** The provider decides (what its notification or query then reports). */
  settle(outRefundNo: string, status: RefundStatus): RefundReport {
    const r = this.refunds.get(outRefundNo);
    if (!r) throw new Error(`no refund ${outRefundNo}`);
    r.status = status;
    return this.report(outRefundNo);
  }

  report(outRefundNo: string): RefundReport {
    const r = this.refunds.get(outRefundNo)!;
    return {
      outRefundNo,
      outTradeNo: r.app.outTradeNo,
      status: r.status,
      amountFen: r.app.amountFen,
      totalFen: r.app.totalFen,
      providerRefundId: `5030${outRefundNo}`,
      ...(r.status === 'SUCCESS' ? { succeededAt: 1_700_000_000_000 } : {}),
    };
  }
}

export interface TestContext {
  ctx: OrderContext;
  provider: FakeRefundProvider;
  clock: { now: number };
  paidOrder(amountFen?: number, extra?: Partial<OrderDoc>): Promise<OrderDoc>;
}

let seq = 0;

/** An order context on a fresh in-memory database, with the fake provider and a clock the test moves. */
export function testContext(env: Record<string, string> = {}): TestContext {
  const db = createMemoryDatabase();
  const started = startContext(db, { PAYJS_MCHID: '1500000001', PAYJS_KEY: 'k', PAYJS_NOTIFY_URL: 'https://example.com/payNotify', MERCHANT_OPENIDS: 'staff-1', ...env });
  if (started instanceof AppError) throw started;
  const provider = new FakeRefundProvider();
  const clock = { now: 1_800_000_000_000 };
  const providers = { ...started.providers, forOrder: () => provider as unknown as PaymentProvider };
  const ctx: OrderContext = { ...started, repo: new OrderRepository(db), providers, now: () => clock.now };
  const paidOrder = async (amountFen = 1000, extra: Partial<OrderDoc> = {}) => {
    seq++;
    const doc: OrderDoc = {
      _id: seq.toString(16).padStart(32, '0'),
      _openid: 'payer-1',
      outTradeNo: `20261201120000ABCDEF${String(seq).padStart(6, '0')}`,
      status: 'PAID',
      amountFen,
      items: [{ skuId: 'sku-mug', name: 'Mug', priceFen: amountFen, quantity: 1, subtotalFen: amountFen }],
      createdAt: clock.now + seq,
      expiresAt: clock.now + 1_800_000,
      payMethod: 'wechat',
      payment: { provider: 'wxpay-v3', tradeType: 'JSAPI', prepayId: 'wx1', placedAt: clock.now },
      paidAt: clock.now,
      transactionId: `4200${seq}`,
      stockReleased: false,
      ...extra,
    };
    await ctx.repo.insert(doc);
    return doc;
  };
  return { ctx, provider, clock, paidOrder };
}
