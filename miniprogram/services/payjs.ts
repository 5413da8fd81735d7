/** The PAYJS mini-program jump (a legacy/test path: PAYJS admits no new merchants for it). */
import type { PayjsJump, PayjsReturnHint } from '../../typings/checkout';

export const PAYJS_APP_ID = 'wx959c8c1fb2d877b5';
/** Scene of "returned from another mini-program". */
export const SCENE_BACK_FROM_MINIPROGRAM = 1038;

export function jumpToPayjs(jump: PayjsJump): Promise<void> {
  return new Promise((resolve, reject) => {
    wx.navigateToMiniProgram({
      appId: jump.appId,
      path: jump.path,
      extraData: jump.extraData,
      success: () => resolve(),
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}

interface ShowOptions {
  scene?: number;
  referrerInfo?: { appId?: string; extraData?: unknown };
}

/** The hint PAYJS hands back on return, or null when this onShow is not a return from PAYJS. */
export function payjsReturnHint(options: ShowOptions | undefined): PayjsReturnHint | null {
  if (!options || options.scene !== SCENE_BACK_FROM_MINIPROGRAM) return null;
  const ref = options.referrerInfo;
  if (!ref || ref.appId !== PAYJS_APP_ID) return null;
  const extra = (typeof ref.extraData === 'object' && ref.extraData !== null ? ref.extraData : {}) as Record<string, unknown>;
  const hint: PayjsReturnHint = {};
  if (typeof extra.success === 'boolean') hint.success = extra.success;
  if (typeof extra.resultCode === 'string') hint.resultCode = extra.resultCode;
  if (typeof extra.msg === 'string') hint.msg = extra.msg;
  if (typeof extra.payjsOrderId === 'string') hint.payjsOrderId = extra.payjsOrderId;
  return hint;
}
