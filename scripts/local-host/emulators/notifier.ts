import { httpRequest } from '../../../cloudfunctions/common/http';
import type { Delivery, NotificationTarget } from './types';

export interface OutgoingNotification {
  headers: Record<string, string>;
  body: string;
}

/** A notification to send: `build` makes each attempt anew; `event` names it on its delivery records. */
export interface NotificationJob {
  build: () => OutgoingNotification;
  event?: string;
  /** Called after each attempt is added to target.deliveries (the emulators save their state then). */
  recorded?: () => void;
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
  /**
   * Resumed deliveries (resume) also wait for this: the local host opens it once it listens with its
   * functions loaded, so a resumed attempt due at once does not reach a host that cannot answer yet.
   */
  resumeAfter?: Promise<unknown>;
}

/**
 * Delivers a provider's notification to a payment's or a refund's notify_url and redelivers on
 * failure, recording every attempt on it (the sandbox console shows them). A delivery left pending by
 * an earlier run goes on where it stopped (resume), as the platform keeps to its schedule whatever
 * happens to the merchant's side. It also runs the emulators' other timers (`later`), so that stop()
 * ends everything an emulator scheduled.
 */
export class Notifier {
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Counts stop() calls: a resume still waiting for `resumeAfter` when one comes schedules nothing. */
  private stops = 0;

  constructor(private readonly opts: NotifierOptions) {}

  /** Sends now; resolves after the first attempt (later ones run on timers). */
  async send(target: NotificationTarget, job: NotificationJob): Promise<Delivery> {
    return this.attempt(target, job, 1);
  }

  /**
   * Goes on with the delivery of `job` that target's saved attempts left pending (a restart): when the
   * last attempt of job.event was not accepted and named a next one, that one runs at its nextAttemptAt
   * (at once if past) with the next number, then the rest of the schedule. Otherwise nothing is sent.
   * Only job.event's attempts count: a refund's earlier event, superseded by its current status, is not
   * sent again.
   */
  resume(target: NotificationTarget, job: NotificationJob): void {
    const last = target.deliveries.filter((d) => d.event === job.event).pop();
    if (!last || last.accepted || last.nextAttemptAt === undefined) return;
    const { attempt, nextAttemptAt } = last;
    const stops = this.stops;
    void (this.opts.resumeAfter ?? Promise.resolve()).then(() => {
      if (stops === this.stops) this.later(Math.max(0, nextAttemptAt - Date.now()), () => this.attempt(target, job, attempt + 1));
    });
  }

  /** Runs `fn` after `ms` (unless stopped first); errors are logged, since nothing awaits a timer. */
  later(ms: number, fn: () => Promise<unknown>): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn().catch((e: unknown) => console.error('[emulator] timer:', e));
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private async attempt(target: NotificationTarget, job: NotificationJob, n: number): Promise<Delivery> {
    // Each attempt is built (and so signed) anew, as the platform does.
    const note = job.build();
    const d: Delivery = { attempt: n, at: Date.now(), response: '', accepted: false, ...(job.event ? { event: job.event } : {}) };
    try {
      const res = await httpRequest({ method: 'POST', url: target.notifyUrl, headers: note.headers, body: note.body, timeoutMs: this.opts.timeoutMs ?? 5000 });
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
      this.later(delay, () => this.attempt(target, job, n + 1));
    }
    target.deliveries.push(d);
    try {
      job.recorded?.();
    } catch (e) {
      // Thrown from a redelivery timer, it would end the process.
      console.error(`[emulator] after notification attempt ${n} to ${target.notifyUrl}:`, e);
    }
    return d;
  }

  /** Stops pending redeliveries and timers (tests and shutdown). */
  stop(): void {
    this.stops++;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
