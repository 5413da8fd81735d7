/**
 * Starts a payment and reports what the user did. An 'ok' outcome only means "start confirming":
 * whether the order is paid is what queryOrder says, never what the client saw.
 */
import type { RequestPaymentParams } from '../../../typings/checkout';
import { config } from '../../config';
import { postJson } from '../../services/http-transport';
import { chooseSimulatedOutcome } from './simulated-wallet';

export type PayOutcome = { kind: 'ok' } | { kind: 'cancel' } | { kind: 'fail'; message: string };

/** wx.requestPayment in cloud mode; the local emulator's "模拟支付" sheet in local mode. */
export function requestPayment(params: RequestPaymentParams): Promise<PayOutcome> {
  if (config.mode === 'local') {
    return simulate('/sandbox/api/wxpay/request-payment', { params });
  }
  return new Promise((resolve) => {
    // Looked up at call time (not captured at import) so automator and test mocks take effect.
    wx.requestPayment({
      timeStamp: params.timeStamp,
      nonceStr: params.nonceStr,
      package: params.package,
      signType: params.signType,
      paySign: params.paySign,
      success: () => resolve({ kind: 'ok' }),
      fail: (err) => resolve(outcomeOfFailure(err.errMsg)),
    });
  });
}

/** Local mode only: stands in for the user scanning the Native QR code with WeChat. */
export function simulateScan(codeUrl: string): Promise<PayOutcome> {
  return simulate('/sandbox/api/wxpay/scan', { codeUrl });
}

/** `requestPayment:fail cancel` is the user closing the sheet: a normal outcome, not an error. */
export function outcomeOfFailure(errMsg: string): PayOutcome {
  if (/:fail[ _]cancel/.test(errMsg)) return { kind: 'cancel' };
  return { kind: 'fail', message: errMsg };
}

async function simulate(path: string, body: object): Promise<PayOutcome> {
  const chosen = await chooseSimulatedOutcome();
  try {
    // The emulator checks the signature and, for 'pay', sends the real payment notification.
    await postJson(`${config.localBaseUrl}${path}`, { ...body, outcome: chosen });
  } catch (err) {
    return { kind: 'fail', message: `模拟支付请求失败：${err instanceof Error ? err.message : String(err)}` };
  }
  if (chosen === 'pay') return { kind: 'ok' };
  if (chosen === 'cancel') return { kind: 'cancel' };
  return { kind: 'fail', message: '模拟支付失败' };
}
