/** Polling with exponential back-off, bounded in time, stoppable (pages stop it on hide/unload). */

export interface PollPolicy {
  firstDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** Give up after this long; the page then offers a manual re-query. */
  deadlineMs: number;
}

export const DEFAULT_POLL_POLICY: PollPolicy = { firstDelayMs: 1000, factor: 1.5, maxDelayMs: 5000, deadlineMs: 60_000 };

export type PollOutcome<T> =
  | { kind: 'done'; value: T }
  | { kind: 'timeout' }
  | { kind: 'stopped' }
  | { kind: 'error'; error: unknown };

export interface PollHandle<T> {
  result: Promise<PollOutcome<T>>;
  stop(): void;
}

/**
 * Calls `check` now, then after growing delays, until `isDone(value)`, the deadline, `stop()`,
 * or a failure `isTransient` rejects (transient failures are retried like a not-yet answer).
 */
export function poll<T>(
  check: () => Promise<T>,
  isDone: (value: T) => boolean,
  isTransient: (error: unknown) => boolean,
  policy: PollPolicy,
): PollHandle<T> {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let finish: (outcome: PollOutcome<T>) => void = () => undefined;
  const result = new Promise<PollOutcome<T>>((resolve) => {
    finish = resolve;
  });
  const deadline = Date.now() + policy.deadlineMs;

  const attempt = async (delay: number): Promise<void> => {
    timer = null;
    let value: T;
    try {
      value = await check();
    } catch (error) {
      if (stopped) return;
      if (!isTransient(error)) return finish({ kind: 'error', error });
      return schedule(delay);
    }
    if (stopped) return;
    if (isDone(value)) return finish({ kind: 'done', value });
    schedule(delay);
  };

  const schedule = (delay: number): void => {
    if (Date.now() + delay > deadline) return finish({ kind: 'timeout' });
    timer = setTimeout(() => void attempt(Math.min(delay * policy.factor, policy.maxDelayMs)), delay);
  };

  void attempt(policy.firstDelayMs);
  return {
    result,
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      finish({ kind: 'stopped' });
    },
  };
}
