/** Typed client for the cloud functions (`checkout` here, `merchant` in merchant-api.ts) over a replaceable transport. */
import { config } from '../config';
import type { CheckoutAction, CheckoutData, ErrorCode, EventOf } from '../../typings/checkout';

/** Carries one call to the function and answers its raw Result; rejects only when the call itself fails. */
export interface Transport {
  call(name: string, data: object): Promise<unknown>;
}

/** Server error codes plus NETWORK: the call did not reach the function or its answer was unreadable. */
export type ClientErrorCode = ErrorCode | 'NETWORK';

export class ApiError extends Error {
  readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    // Keeps `instanceof` working when DevTools down-levels classes to ES5.
    Object.setPrototypeOf(this, ApiError.prototype);
  }
}

export const FUNCTION_NAME = 'checkout';
const LOCAL_HOST_DOWN = '连接不到本地服务：请在电脑上运行 npm start，并在 DevTools 勾选“不校验合法域名”';

let transport: Transport | null = null;

/** Chosen by app.ts from the config; tests install their own. */
export function setTransport(next: Transport): void {
  transport = next;
}

function isResult(value: unknown): value is { ok: boolean; data?: unknown; error?: { code?: unknown; message?: unknown } } {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

export function call<A extends CheckoutAction>(event: EventOf<A>): Promise<CheckoutData[A]> {
  return invoke(FUNCTION_NAME, event) as Promise<CheckoutData[A]>;
}

/** One call to the function `name`: its data, or an ApiError with the server's code (or NETWORK). */
export async function invoke(name: string, event: { action: string }): Promise<unknown> {
  if (!transport) throw new Error('no transport: call setTransport() first (app.ts does it on launch)');
  let raw: unknown;
  try {
    raw = await transport.call(name, event);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // The raw errMsg is for developers (console); the payer gets a sentence that says what to do.
    console.warn(`[${name}] ${event.action} did not reach the function:`, describe(err));
    throw new ApiError('NETWORK', config.mode === 'local' ? LOCAL_HOST_DOWN : transportFailureText(describe(err)));
  }
  if (!isResult(raw)) throw new ApiError('NETWORK', '服务返回了无法识别的结果');
  if (raw.ok) return raw.data;
  const code = typeof raw.error?.code === 'string' ? (raw.error.code as ErrorCode) : 'INTERNAL';
  const message = typeof raw.error?.message === 'string' ? raw.error.message : '服务异常';
  // The server's message is for developers (it names fields and variables); pages show userText().
  console.warn(`[${name}] ${event.action} → ${code}: ${message}`);
  throw new ApiError(code, message);
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'errMsg' in err) return String((err as { errMsg: unknown }).errMsg);
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * A failed call, in words: wx.cloud.callFunction's errMsg tells a missing environment or function apart
 * from a network problem (the patterns are its documented error texts and codes, e.g. -501000 / -404011).
 */
export function transportFailureText(raw: string): string {
  if (/env|environment|环境|-501000|-501001/i.test(raw) && !/timeout/i.test(raw)) return '云开发环境不可用，请检查小程序的云开发配置';
  if (/FUNCTION_NOT_FOUND|FunctionName|function not found|-501002|-404011|云函数/i.test(raw)) return '服务尚未部署，请稍后重试或联系商家';
  if (/timeout|超时/i.test(raw)) return '请求超时，请稍后重试';
  return '网络异常，请稍后重试';
}

/** What the payer is told for each server error code (the server's own message stays in the log). */
const USER_TEXT: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: '请求有误，请返回重试',
  NOT_FOUND: '订单或商品不存在',
  OUT_OF_STOCK: '库存不足，请调整购物车后再试',
  TOO_MANY_PENDING_ORDERS: '待支付订单过多，请先支付或取消已有订单',
  ORDER_CLOSED: '订单已关闭，请重新下单',
  ALREADY_PAID: '订单已支付',
  METHOD_MISMATCH: '该订单已使用其他支付方式，请用原方式支付或取消订单',
  METHOD_UNAVAILABLE: '暂不支持该支付方式',
  PROVIDER_ERROR: '支付服务暂时不可用，请稍后重试',
  UNAUTHENTICATED: '请在微信中打开小程序后重试',
  FORBIDDEN: '没有商家权限',
  ORDER_NOT_PAID: '订单未支付，无法退款',
  REFUND_EXCEEDS_PAID: '退款金额超过可退金额',
  REFUND_UNAVAILABLE: '该订单暂不支持在线退款，请联系商家',
  REFUND_REQUEST_OPEN: '已有退款申请在处理中',
  SHIPPING_UPLOAD_FAILED: '微信未接受发货信息，请检查后重试',
  NOT_SHIPPABLE: '该订单无法发货或收货（未支付、已退款或已收货）',
  RESHIP_LIMIT_REACHED: '该订单已重新发货过一次，无法再修改',
  NOT_SHIPPED: '订单尚未发货',
  RECEIPT_NOT_CONFIRMED: '微信尚未记录确认收货，请在确认收货页面完成确认',
  CONFIG_ERROR: '商户支付配置有误，请联系商家',
  INTERNAL: '服务异常，请稍后重试',
};

/** A message a page can show for any failure. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.code === 'NETWORK' ? err.message : USER_TEXT[err.code] ?? USER_TEXT.INTERNAL;
  console.warn('[checkout] unexpected error:', describe(err));
  return '出错了，请稍后重试';
}
