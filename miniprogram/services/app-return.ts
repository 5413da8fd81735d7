/**
 * Returns from another mini-program, one mechanism for all of them: App.onShow hands its options here,
 * and the handler registered for the referrer's appId gets the extraData that mini-program sent back.
 * A return is only ever a hint (the server decides what happened); handlers record it, nothing more.
 * Register one with a single entry, e.g. `onReturnFrom(RECEIPT_APP_ID, (extra) => …)`, beside the flow it
 * feeds: in a subpackage that flow loads after App.onShow on a cold start, so a return that finds no
 * handler waits here (the latest per appId) and reaches the handler when it registers.
 */

/** Scene 1038: "从另一个小程序返回" (back from a mini-program this one opened). */
export const SCENE_BACK_FROM_MINIPROGRAM = 1038;

export interface ShowOptions {
  scene?: number;
  referrerInfo?: { appId?: string; extraData?: unknown };
}

export type ReturnHandler = (extraData: Record<string, unknown>) => void;

const handlers = new Map<string, ReturnHandler>();
const waiting = new Map<string, Record<string, unknown>>();

/** Registers what to do when the mini-program `appId` hands control back (one handler per appId). */
export function onReturnFrom(appId: string, handler: ReturnHandler): void {
  handlers.set(appId, handler);
  const extra = waiting.get(appId);
  if (!extra) return;
  waiting.delete(appId);
  handler(extra);
}

/** Called from App.onShow. True when it was a return some handler took (false also when it waits for one). */
export function dispatchReturn(options: ShowOptions | undefined): boolean {
  if (!options || options.scene !== SCENE_BACK_FROM_MINIPROGRAM) return false;
  const appId = options.referrerInfo?.appId;
  if (!appId) return false;
  const raw = options.referrerInfo?.extraData;
  const extra = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const handler = handlers.get(appId);
  if (!handler) {
    waiting.set(appId, extra);
    return false;
  }
  handler(extra);
  return true;
}
