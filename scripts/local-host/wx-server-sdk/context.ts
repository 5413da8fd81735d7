import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is calling the current cloud function. The cloud runtime gives each invocation its own caller;
 * locally many invocations run in one process at once, so the caller travels with the async call chain.
 */

export interface CallerContext {
  OPENID?: string;
  APPID?: string;
  UNIONID?: string;
  /** Defaults to `wx_client` when OPENID is set (a mini-program call), else `wx_unknown`; pass e.g. `wx_http`. */
  SOURCE?: string;
}

const storage = new AsyncLocalStorage<CallerContext>();

/** Runs `fn` (and everything it awaits) as an invocation by `ctx`. */
export function runWithContext<T>(ctx: CallerContext, fn: () => T): T {
  return storage.run({ ...ctx }, fn);
}

/** The caller of the invocation in progress, or undefined outside any invocation. */
export function currentCaller(): CallerContext | undefined {
  return storage.getStore();
}
