/** The PAYJS mini-program jump (a legacy/test path: PAYJS admits no new merchants for it). */
import type { PayjsJump, PayjsReturnHint } from '../../../typings/checkout';
import { config } from '../../config';
import { postJson } from '../../services/http-transport';
import { chooseSimulatedOutcome, type SimulatedOutcome } from './simulated-wallet';

export const PAYJS_APP_ID = 'wx959c8c1fb2d877b5';

/**
 * Opens PAYJS with the server's signed jump. In cloud mode that is the PAYJS mini-program: this resolves
 * once it is opened, and its return hint arrives through App.onShow (null here), possibly before this
 * resolves: WeChat does not order `success` against App.onShow and the page's onShow. In local mode
 * navigateToMiniProgram cannot reach the sandbox, so its PAYJS emulator stands in and this resolves with
 * the hint PAYJS would hand back. Resolves 'declined' when the payer declined WeChat's prompt to open
 * PAYJS; rejects when PAYJS cannot be opened.
 */
export function jumpToPayjs(jump: PayjsJump): Promise<PayjsReturnHint | null | 'declined'> {
  if (config.mode === 'local') return simulatePayjs(jump);
  return new Promise((resolve, reject) => {
    wx.navigateToMiniProgram({
      appId: jump.appId,
      path: jump.path,
      extraData: jump.extraData,
      success: () => resolve(null),
      // The payer declined WeChat's "open another mini-program" prompt: nothing happened, nothing to report.
      fail: (err) => (/fail cancel/.test(err.errMsg) ? resolve('declined') : reject(new Error(err.errMsg))),
    });
  });
}

/**
 * The sandbox's own return codes: PAYJS documents the hint's fields but not their values, and the
 * server never reads them (only payjsOrderId, to know whom to ask).
 */
const HINTS: Record<SimulatedOutcome, Omit<PayjsReturnHint, 'payjsOrderId'>> = {
  pay: { success: true, resultCode: 'SUCCESS', msg: '支付成功' },
  cancel: { success: false, resultCode: 'CANCEL', msg: '用户取消支付' },
  fail: { success: false, resultCode: 'FAIL', msg: '支付失败' },
};

/** Local mode: what the PAYJS mini-program does when opened (the emulator checks the sign), then the payer's choice. */
async function simulatePayjs(jump: PayjsJump): Promise<PayjsReturnHint> {
  const opened = await postJson(`${config.localBaseUrl}/sandbox/api/payjs/jump`, { extraData: jump.extraData });
  const payjsOrderId = (opened as { payment?: { id?: unknown } } | null)?.payment?.id;
  if (typeof payjsOrderId !== 'string') throw new Error('PAYJS 模拟器没有返回订单号');
  const outcome = await chooseSimulatedOutcome();
  try {
    // For 'pay' the emulator sends the signed notification before it answers.
    await postJson(`${config.localBaseUrl}/sandbox/api/payments/${encodeURIComponent(payjsOrderId)}/${outcome}`, {});
  } catch (err) {
    // The choice may or may not have landed: come back anyway and let the server say.
    return { success: false, resultCode: 'FAIL', msg: `模拟支付请求失败：${err instanceof Error ? err.message : String(err)}`, payjsOrderId };
  }
  return { ...HINTS[outcome], payjsOrderId };
}

/** The hint in PAYJS's extraData on return (see services/app-return.ts); unknown fields are dropped. */
export function payjsReturnHint(extra: Record<string, unknown>): PayjsReturnHint {
  const hint: PayjsReturnHint = {};
  if (typeof extra.success === 'boolean') hint.success = extra.success;
  if (typeof extra.resultCode === 'string') hint.resultCode = extra.resultCode;
  if (typeof extra.msg === 'string') hint.msg = extra.msg;
  if (typeof extra.payjsOrderId === 'string') hint.payjsOrderId = extra.payjsOrderId;
  return hint;
}
