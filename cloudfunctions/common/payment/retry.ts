import { ProviderError } from '../errors';
import { TransportError } from '../http';

export interface RetryPolicy {
  attempts: number;
  /** Delay before the 2nd attempt; doubled after each further failure. */
  firstDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, firstDelayMs: 200 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a provider call again on transport failures and retryable provider errors. The caller must
 * send the same business parameters each time (same out_trade_no, same amount): that is what makes a
 * retry safe at WeChat Pay.
 */
export async function withRetries<T>(fn: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  let delay = policy.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retryable = err instanceof TransportError || (err instanceof ProviderError && err.retryable);
      if (!retryable || attempt >= policy.attempts) {
        if (err instanceof TransportError) throw new ProviderError(`payment provider unreachable: ${err.message}`, undefined, true);
        throw err;
      }
      await sleep(delay);
      delay *= 2;
    }
  }
}
