/**
 * A small in-memory model of the `merchant` function as typings/merchant.d.ts describes it (idempotent
 * requestId, the refundable sum, FORBIDDEN for non-staff), so the client's retry behaviour is tested
 * against the rules it relies on rather than against scripted answers. Calls to other functions go to
 * an optional checkout FakeTransport.
 */
import type { ErrorCode, Order, Refund, RefundStatus, Result } from '../../typings/checkout';
import type { MerchantAction, MerchantEvent, MerchantOrder } from '../../typings/merchant';
import type { Transport } from '../../miniprogram/services/api';
import { order } from './fixtures';
import { fail, ok, type FakeTransport } from './fake-transport';

export function merchantOrder(status: Order['status'] = 'PAID', patch: Partial<MerchantOrder> = {}): MerchantOrder {
  return { ...order(status, status === 'PAID' ? { paidAt: Date.UTC(2024, 4, 1, 5, 1) } : {}), openid: 'oPayer0000000001', ...patch };
}

export function refund(patch: Partial<Refund> = {}): Refund {
  return { refundId: 'rf1', outRefundNo: 'R1', amountFen: 500, status: 'PROCESSING', requestedBy: 'merchant', createdAt: Date.UTC(2024, 4, 2), ...patch };
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** How the next call of an action goes wrong: an error Result, or 'LOST' (done on the server, answer never arrives). */
type Trouble = ErrorCode | 'LOST';

export class FakeMerchant implements Transport {
  readonly calls: MerchantEvent[] = [];
  readonly orders = new Map<string, MerchantOrder>();
  /** What queryRefund finds at the provider, by refundId. */
  readonly providerStatus = new Map<string, RefundStatus>();
  staff = true;
  private trouble = new Map<MerchantAction, Trouble[]>();
  private byRequestId = new Map<string, { orderId: string; amountFen: number; refundId: string }>();
  private gates = new Map<MerchantAction, Promise<void>>();
  private seq = 0;
  private shipments = new Map<string, number>();

  constructor(readonly checkout?: FakeTransport) {}

  add(...orders: MerchantOrder[]): this {
    for (const o of orders) this.orders.set(o.orderId, clone(o));
    return this;
  }

  /** The next calls of `action` go wrong in turn. */
  failNext(action: MerchantAction, ...troubles: Trouble[]): this {
    this.trouble.set(action, [...(this.trouble.get(action) ?? []), ...troubles]);
    return this;
  }

  /** Holds the answer to the next call of `action` until the returned function is called. */
  hold(action: MerchantAction): () => void {
    let release = (): void => undefined;
    this.gates.set(action, new Promise<void>((r) => (release = r)));
    return release;
  }

  callsOf<A extends MerchantAction>(action: A): Array<Extract<MerchantEvent, { action: A }>> {
    return this.calls.filter((c) => c.action === action) as Array<Extract<MerchantEvent, { action: A }>>;
  }

  async call(name: string, data: object): Promise<unknown> {
    if (name !== 'merchant') {
      if (!this.checkout) throw new Error(`unexpected function ${name}`);
      return this.checkout.call(name, data);
    }
    const event = data as MerchantEvent;
    this.calls.push(clone(event));
    const gate = this.gates.get(event.action);
    this.gates.delete(event.action);
    if (gate) await gate;
    const trouble = this.trouble.get(event.action)?.shift();
    if (trouble && trouble !== 'LOST') return fail(trouble, `scripted ${trouble}`);
    const result = this.handle(event);
    if (trouble === 'LOST') throw new Error('request:fail timeout');
    return clone(result);
  }

  private handle(e: MerchantEvent): Result<unknown> {
    if (e.action === 'whoami') return ok({ merchant: this.staff });
    if (!this.staff) return fail('FORBIDDEN', 'not staff');
    switch (e.action) {
      case 'listOrders': {
        const all = [...this.orders.values()]
          .filter((o) => !e.status || o.status === e.status)
          .filter((o) =>
            !e.refund ? true : e.refund === 'REQUESTED' ? o.refundRequest?.status === 'OPEN' : (o.refunds ?? []).some((r) => r.status === e.refund),
          )
          .filter((o) => (!e.attention ? true : e.attention === 'RECONCILE' ? !!o.needsReconciliation : !!o.paymentAnomalies?.length))
          .sort((a, b) => b.createdAt - a.createdAt);
        const start = e.cursor ? Number(e.cursor) : 0;
        const limit = e.limit ?? 20;
        const page = all.slice(start, start + limit);
        return ok({ orders: page, ...(start + limit < all.length ? { nextCursor: String(start + limit) } : {}) });
      }
      case 'getOrder': {
        const o = this.orders.get(e.orderId);
        return o ? ok({ order: o }) : fail('NOT_FOUND', 'no order');
      }
      case 'refund': {
        const o = this.orders.get(e.orderId);
        if (!o) return fail('NOT_FOUND', 'no order');
        const seen = this.byRequestId.get(e.requestId);
        if (seen) {
          if (seen.orderId !== e.orderId || seen.amountFen !== e.amountFen) return fail('INVALID_ARGUMENT', 'requestId reused with other parameters');
          return ok({ order: o, refund: o.refunds!.find((r) => r.refundId === seen.refundId)! });
        }
        const made = this.issue(o, e.amountFen, e.reason);
        if ('error' in made) return made.error;
        this.byRequestId.set(e.requestId, { orderId: e.orderId, amountFen: e.amountFen, refundId: made.refund.refundId });
        return ok({ order: o, refund: made.refund });
      }
      case 'queryRefund': {
        const o = this.orders.get(e.orderId);
        const r = o?.refunds?.find((x) => x.refundId === e.refundId);
        if (!o || !r) return fail('NOT_FOUND', 'no refund');
        const now = this.providerStatus.get(r.refundId);
        if (now && now !== r.status) {
          r.status = now;
          if (now === 'SUCCESS') r.succeededAt = Date.UTC(2024, 4, 3);
          o.refundedFen = o.refunds!.filter((x) => x.status === 'SUCCESS').reduce((n, x) => n + x.amountFen, 0);
          if (o.refundedFen === o.amountFen) o.status = 'REFUNDED';
        }
        return ok({ order: o, refund: r });
      }
      case 'resolveRefundRequest': {
        const o = this.orders.get(e.orderId);
        if (!o) return fail('NOT_FOUND', 'no order');
        if (o.refundRequest?.status !== 'OPEN') return fail('INVALID_ARGUMENT', 'no open request');
        let made: Refund | undefined;
        if (e.approve) {
          const issued = this.issue(o, e.amountFen ?? this.left(o), o.refundRequest.reason);
          if ('error' in issued) return issued.error;
          made = issued.refund;
        }
        o.refundRequest = { ...o.refundRequest, status: e.approve ? 'APPROVED' : 'REJECTED', resolvedAt: Date.UTC(2024, 4, 2), ...(e.note ? { note: e.note } : {}) };
        return ok({ order: o, ...(made ? { refund: made } : {}) });
      }
      case 'ship': {
        // The rules of orders/ship.ts: what the logistics type needs, paid only, one re-shipping.
        const o = this.orders.get(e.orderId);
        if (!o) return fail('NOT_FOUND', 'no order');
        if (e.logistics === 'EXPRESS' ? !e.trackingNo || !e.expressCompany : e.trackingNo !== undefined || e.expressCompany !== undefined) {
          return fail('INVALID_ARGUMENT', 'trackingNo and expressCompany go with EXPRESS only, and EXPRESS needs both');
        }
        if (o.status !== 'PAID' || o.fulfilment?.state === 'RECEIVED') return fail('NOT_SHIPPABLE', 'not shippable');
        const shipping = { logistics: e.logistics, itemDesc: e.itemDesc ?? o.items.map((i) => `${i.name}*${i.quantity}`).join('；'), upload: 'UPLOADED' as const, ...(e.trackingNo ? { trackingNo: e.trackingNo, expressCompany: e.expressCompany } : {}) };
        const before = o.fulfilment?.shipping;
        const same = before && JSON.stringify({ ...before, reshipped: undefined }) === JSON.stringify({ ...shipping, reshipped: undefined });
        if (same) return ok({ order: o });
        const count = this.shipments.get(o.orderId) ?? 0;
        if (count >= 2) return fail('RESHIP_LIMIT_REACHED', 'shipped twice already');
        this.shipments.set(o.orderId, count + 1);
        o.fulfilment = { state: 'SHIPPED', shipping: count > 0 ? { ...shipping, reshipped: true } : shipping, shippedAt: Date.UTC(2024, 4, 4) };
        return ok({ order: o });
      }
    }
  }

  private left(o: MerchantOrder): number {
    return o.amountFen - (o.refunds ?? []).filter((r) => r.status !== 'CLOSED').reduce((n, r) => n + r.amountFen, 0);
  }

  private issue(o: MerchantOrder, amountFen: number, reason?: string): { refund: Refund } | { error: Result<never> } {
    if (o.status !== 'PAID') return { error: fail('ORDER_NOT_PAID', 'not paid') };
    if (!Number.isSafeInteger(amountFen) || amountFen < 1) return { error: fail('INVALID_ARGUMENT', 'amountFen') };
    if (amountFen > this.left(o)) return { error: fail('REFUND_EXCEEDS_PAID', 'too much') };
    const n = ++this.seq;
    const r = refund({ refundId: `rf-new-${n}`, outRefundNo: `RN${n}`, amountFen, ...(reason ? { reason } : {}) });
    o.refunds = [...(o.refunds ?? []), r];
    o.refundedFen = o.refundedFen ?? 0;
    return { refund: r };
  }

  /** Every refund the server has made, across orders. */
  allRefunds(): Refund[] {
    return [...this.orders.values()].flatMap((o) => o.refunds ?? []);
  }
}
