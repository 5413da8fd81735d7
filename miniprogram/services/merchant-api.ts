/** Typed client for the `merchant` function (staff only: the server answers FORBIDDEN to anyone else). */
import type { ErrorCode } from '../../typings/checkout';
import type { MerchantAction, MerchantData, MerchantEventOf } from '../../typings/merchant';
import { ApiError, errorMessage, invoke } from './api';

export const MERCHANT_FUNCTION_NAME = 'merchant';

/** Same transports, Result handling and ApiError as `checkout` (cloud: callFunction 'merchant'; local: POST /api/merchant). */
export function callMerchant<A extends MerchantAction>(event: MerchantEventOf<A>): Promise<MerchantData[A]> {
  return invoke(MERCHANT_FUNCTION_NAME, event) as Promise<MerchantData[A]>;
}

/** Where the payer's text would send staff to "the merchant", staff are told what to do instead. */
const STAFF_TEXT: Partial<Record<ErrorCode, string>> = {
  REFUND_UNAVAILABLE: '该订单无法在线退款（PAYJS 只能全额退款；v2 需配置 API 证书），请改为全额或在商户平台处理',
  CONFIG_ERROR: '支付配置有误，请查看云函数日志中指出的环境变量',
  NOT_FOUND: '订单不存在',
  INVALID_ARGUMENT: '请求有误，请刷新后重试',
};

/** errorMessage() for the merchant pages. */
export function staffErrorMessage(err: unknown): string {
  return (err instanceof ApiError && STAFF_TEXT[err.code as ErrorCode]) || errorMessage(err);
}
