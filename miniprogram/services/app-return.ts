/**
 * Returns from another mini-program, one mechanism for all of them: App.onShow hands its options here,
 * and the handler registered for the referrer's appId gets the extraData that mini-program sent back.
 * A return is only ever a hint (the server decides what happened); handlers record it, nothing more.
 * Register one with a single entry, e.g. `onReturnFrom(RECEIPT_APP_ID, (extra) => …)`.
 */

/** Scene 1038: "从另一个小程序返回" (back from a mini-program this one opened). */
export const SCENE_BACK_FROM_MINIPROGRAM = 1038;

export interface ShowOptions {
  scene?: number;
  referrerInfo?: { appId?: string; extraData?: unknown };
}

export type ReturnHandler = (extraData: Record<string, unknown>) => void;

const handlers = new Map<string, ReturnHandler>();

/** Registers what to do when the mini-program `appId` hands control back (one handler per appId). */
export function onReturnFrom(appId: string, handler: ReturnHandler): void {
  handlers.set(appId, handler);
}

/** Called from App.onShow. True when it was a return some handler took. */
export function dispatchReturn(options: ShowOptions | undefined): boolean {
  if (!options || options.scene !== SCENE_BACK_FROM_MINIPROGRAM) return false;
  const appId = options.referrerInfo?.appId;
  const handler = appId ? handlers.get(appId) : undefined;
  if (!handler) return false;
  const extra = options.referrerInfo?.extraData;
  handler(typeof extra === 'object' && extra !== null ? (extra as Record<string, unknown>) : {});
  return true;
}
