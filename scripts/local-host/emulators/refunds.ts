import type { NotificationJob, Notifier, OutgoingNotification } from './notifier';
import { readDelivery, SavedRecord } from './saved-record';
import {
  EmulatorRefusal,
  type EmulatedPayment,
  type EmulatedRefund,
  type EmulatedRefundStatus,
  type ProviderName,
  type RefundOutcome,
} from './types';

/**
 * The refund rules every emulator shares (each maps a broken rule to its protocol's error): a refund
 * needs a paid trade and the trade's own total, the refunds of a trade that are not CLOSED never sum
 * above its total, at most 50 refunds per trade (v2's documented limit; v3 states the same one), and the
 * same out_refund_no is the same refund — repeated with another amount it is refused, never a second one.
 * A refund stays PROCESSING until the sandbox settles it (or `succeedAfterMs` passes); ABNORMAL is not
 * final, as at the platform: it can still succeed or close.
 */

export const MAX_REFUNDS_PER_TRADE = 50;

export type RefundProblem = 'NOT_PAID' | 'TOTAL_MISMATCH' | 'CHANGED' | 'EXCEEDS' | 'TOO_MANY';

export class RefundRuleError extends Error {
  constructor(
    readonly problem: RefundProblem,
    message: string,
  ) {
    super(message);
    this.name = 'RefundRuleError';
  }
}

/** A trade record that keeps its refunds (saved with it). */
export interface RefundableTrade {
  payment: EmulatedPayment;
  refunds: EmulatedRefund[];
}

export interface RefundApplication {
  outRefundNo: string;
  refundFen: number;
  totalFen: number;
  reason?: string;
  notifyUrl: string;
}

export interface RefundLedgerOptions {
  provider: ProviderName;
  notifier: Notifier;
  now: () => number;
  /** Saves the emulator's records (refunds are saved inside their trade's). */
  save: () => void;
  newRefundId: () => string;
  /**
   * The provider's notification for the refund's current status, or undefined when it sends none. Asked
   * at settlement and, for every restored refund, at start (to resume a pending delivery): `build`
   * should do the work.
   */
  notification: (refund: EmulatedRefund) => { event: string; build: () => OutgoingNotification } | undefined;
  /** A refund still PROCESSING this long after it was made succeeds by itself; undefined or 0 = never. */
  succeedAfterMs?: number;
}

const NEXT: Record<RefundOutcome, { to: EmulatedRefundStatus; from: readonly EmulatedRefundStatus[] }> = {
  succeed: { to: 'SUCCESS', from: ['PROCESSING', 'ABNORMAL'] },
  abnormal: { to: 'ABNORMAL', from: ['PROCESSING'] },
  close: { to: 'CLOSED', from: ['PROCESSING', 'ABNORMAL'] },
};

export const REFUND_OUTCOMES = Object.keys(NEXT) as RefundOutcome[];

export class RefundLedger {
  private readonly byNo = new Map<string, { trade: RefundableTrade; refund: EmulatedRefund }>();

  constructor(private readonly opts: RefundLedgerOptions) {}

  /** Takes in a restored trade's refunds (once, at start) and resumes their timed settlement and pending notifications. */
  restore(trade: RefundableTrade): void {
    for (const refund of trade.refunds) {
      if (this.byNo.has(refund.outRefundNo)) throw new Error(`out_refund_no ${refund.outRefundNo} appears twice`);
      this.byNo.set(refund.outRefundNo, { trade, refund });
      this.schedule(refund);
      const job = this.notificationJob(refund);
      if (job) this.opts.notifier.resume(refund, job);
    }
  }

  get(outRefundNo: string): EmulatedRefund | undefined {
    return this.byNo.get(outRefundNo)?.refund;
  }

  list(): EmulatedRefund[] {
    return [...this.byNo.values()].map((x) => x.refund);
  }

  /** The sum of a trade's refunds that reached SUCCESS. */
  static refundedFen(trade: RefundableTrade): number {
    return trade.refunds.filter((r) => r.status === 'SUCCESS').reduce((sum, r) => sum + r.amountFen, 0);
  }

  /** True once the whole total went back to the payer: the trade's state is REFUND then. */
  static fullyRefunded(trade: RefundableTrade): boolean {
    return trade.refunds.length > 0 && RefundLedger.refundedFen(trade) === trade.payment.amountFen;
  }

  /**
   * Accepts a refund (PROCESSING) or returns the one already made under this out_refund_no; throws
   * RefundRuleError when a rule is broken, and then nothing is recorded.
   */
  apply(trade: RefundableTrade, a: RefundApplication): { refund: EmulatedRefund; created: boolean } {
    const p = trade.payment;
    const known = this.byNo.get(a.outRefundNo);
    if (known) {
      if (known.refund.paymentId !== trade.payment.id || known.refund.amountFen !== a.refundFen || known.refund.totalFen !== a.totalFen) {
        throw new RefundRuleError('CHANGED', `out_refund_no ${a.outRefundNo} was already used with other parameters`);
      }
      return { refund: known.refund, created: false };
    }
    if (p.status !== 'PAID' || p.transactionId === undefined) throw new RefundRuleError('NOT_PAID', 'the trade is not paid');
    if (a.totalFen !== p.amountFen) throw new RefundRuleError('TOTAL_MISMATCH', `the total ${a.totalFen} is not the trade's ${p.amountFen}`);
    if (trade.refunds.length >= MAX_REFUNDS_PER_TRADE) throw new RefundRuleError('TOO_MANY', `a trade takes at most ${MAX_REFUNDS_PER_TRADE} refunds`);
    const committed = trade.refunds.filter((r) => r.status !== 'CLOSED').reduce((sum, r) => sum + r.amountFen, 0);
    if (committed + a.refundFen > p.amountFen) {
      throw new RefundRuleError('EXCEEDS', `refunding ${a.refundFen} more would exceed the trade's ${p.amountFen} (${committed} already refunded or in progress)`);
    }
    const refund: EmulatedRefund = {
      provider: this.opts.provider,
      outRefundNo: a.outRefundNo,
      refundId: this.opts.newRefundId(),
      paymentId: p.id,
      outTradeNo: p.outTradeNo,
      transactionId: p.transactionId,
      amountFen: a.refundFen,
      totalFen: a.totalFen,
      ...(a.reason ? { reason: a.reason } : {}),
      status: 'PROCESSING',
      createdAt: this.opts.now(),
      notifyUrl: a.notifyUrl,
      deliveries: [],
    };
    trade.refunds.push(refund);
    this.byNo.set(refund.outRefundNo, { trade, refund });
    this.opts.save();
    this.schedule(refund);
    return { refund, created: true };
  }

  /** Moves a refund on (see NEXT), saves, and sends the provider's notification for its new status. */
  async settle(outRefundNo: string, outcome: RefundOutcome): Promise<EmulatedRefund> {
    const step = NEXT[outcome];
    if (!step) throw new EmulatorRefusal(`outcome must be one of ${REFUND_OUTCOMES.join(', ')}`);
    const refund = this.get(outRefundNo);
    if (!refund) throw new EmulatorRefusal(`no refund ${outRefundNo}`, 404);
    if (!step.from.includes(refund.status)) throw new EmulatorRefusal(`refund ${outRefundNo} is ${refund.status}: it cannot ${outcome}`, 409);
    refund.status = step.to;
    // Notifications state times in whole seconds: keep settledAt equal to what they say.
    refund.settledAt = Math.floor(this.opts.now() / 1000) * 1000;
    this.opts.save();
    const job = this.notificationJob(refund);
    if (job) await this.opts.notifier.send(refund, job);
    return refund;
  }

  /** The delivery of the notification for the refund's current status (first sent or resumed), if it has one. */
  private notificationJob(refund: EmulatedRefund): NotificationJob | undefined {
    const note = refund.notifyUrl ? this.opts.notification(refund) : undefined;
    return note && { ...note, recorded: this.opts.save };
  }

  private schedule(refund: EmulatedRefund): void {
    const after = this.opts.succeedAfterMs;
    if (!after || refund.status !== 'PROCESSING') return;
    const wait = Math.max(0, refund.createdAt + after - this.opts.now());
    this.opts.notifier.later(wait, async () => {
      // Settled meanwhile (by the console or the sandbox API): nothing to do.
      if (refund.status === 'PROCESSING') await this.settle(refund.outRefundNo, 'succeed');
    });
  }
}

const STATUSES: readonly EmulatedRefundStatus[] = ['PROCESSING', 'SUCCESS', 'ABNORMAL', 'CLOSED'];

/**
 * The `refunds` of a saved trade record, checked against its payment (state files written before
 * refunds existed have none).
 */
export function readSavedRefunds(saved: unknown, payment: EmulatedPayment): EmulatedRefund[] {
  const r = SavedRecord.of(saved);
  if ((saved as Record<string, unknown>).refunds === undefined) return [];
  return r.list('refunds').map((x) => {
    const refund: EmulatedRefund = {
      provider: payment.provider,
      outRefundNo: x.string('outRefundNo'),
      refundId: x.string('refundId'),
      paymentId: x.string('paymentId'),
      outTradeNo: x.string('outTradeNo'),
      transactionId: x.string('transactionId'),
      amountFen: x.integer('amountFen'),
      totalFen: x.integer('totalFen'),
      reason: x.optString('reason'),
      status: x.oneOf('status', STATUSES),
      createdAt: x.integer('createdAt'),
      settledAt: x.optInteger('settledAt'),
      notifyUrl: x.optString('notifyUrl') ?? '',
      deliveries: x.list('deliveries').map(readDelivery),
    };
    if (refund.paymentId !== payment.id || refund.outTradeNo !== payment.outTradeNo) throw new Error(`refund ${refund.outRefundNo} is not this payment's`);
    if (refund.amountFen <= 0 || refund.totalFen !== payment.amountFen) throw new Error(`refund ${refund.outRefundNo} has a bad amount`);
    if (refund.reason === undefined) delete refund.reason;
    if (refund.settledAt === undefined) delete refund.settledAt;
    return refund;
  });
}
