import { httpRequest } from '../../../cloudfunctions/common/http';
import type { Delivery, EmulatedPayment } from './types';

export interface OutgoingNotification {
  headers: Record<string, string>;
  body: string;
}

export interface NotifierOptions {
  /**
   * Delays (ms) between attempts after a failed one, like the platform's schedule but usually
   * shortened locally. After the last one the notifier gives up.
   */
  scheduleMs: number[];
  /** Whether the merchant's answer means "received" in this provider's protocol. */
  isAccepted(statusCode: number, body: string): boolean;
  timeoutMs?: number;
}

/**
 * Delivers a provider's notification to the payment's notify_url and redelivers on failure,
 * recording every attempt on the payment (the sandbox console shows them).
 */
export class Notifier {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: NotifierOptions) {}

  /**
   * Sends now; resolves after the first attempt (later ones run on timers). `recorded` is called after
   * each attempt is added to payment.deliveries (the emulators save their state then).
   */
  async deliver(payment: EmulatedPayment, build: () => OutgoingNotification, recorded?: () => void): Promise<Delivery> {
    return this.attempt(payment, build, 1, recorded);
  }

  private async attempt(payment: EmulatedPayment, build: () => OutgoingNotification, n: number, recorded?: () => void): Promise<Delivery> {
    // Each attempt is built (and so signed) anew, as the platform does.
    const note = build();
    const d: Delivery = { attempt: n, at: Date.now(), response: '', accepted: false };
    try {
      const res = await httpRequest({ method: 'POST', url: payment.notifyUrl, headers: note.headers, body: note.body, timeoutMs: this.opts.timeoutMs ?? 5000 });
      const text = res.body.toString('utf8');
      d.statusCode = res.status;
      d.response = text.slice(0, 200);
      d.accepted = this.opts.isAccepted(res.status, text);
    } catch (e) {
      d.response = (e as Error).message.slice(0, 200);
    }
    const delay = this.opts.scheduleMs[n - 1];
    if (!d.accepted && delay !== undefined) {
      d.nextAttemptAt = Date.now() + delay;
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.attempt(payment, build, n + 1, recorded);
      }, delay);
      t.unref();
      this.timers.add(t);
    }
    payment.deliveries.push(d);
    try {
      recorded?.();
    } catch (e) {
      // Thrown from a redelivery timer, it would end the process.
      console.error(`[emulator] after notification attempt ${n} for ${payment.id}:`, e);
    }
    return d;
  }

  /** Stops pending redeliveries (tests and shutdown). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
