import { AppError } from '../errors';
import type { GetOrderBody, OpenApi, OpenApiAnswer, UploadShippingInfoBody } from './openapi';

/** WeChat refused a 发货信息管理 call (errcode ≠ 0) or could not be reached. */
export class ShippingUploadError extends AppError {
  constructor(
    readonly errcode: number | undefined,
    readonly errmsg: string,
  ) {
    super('SHIPPING_UPLOAD_FAILED', `WeChat refused the shipping information (errcode ${errcode ?? 'none'}): ${errmsg}`);
    this.name = 'ShippingUploadError';
  }
}

/** get_order's order_state: 1 待发货, 2 已发货, 3 确认收货, 4 交易完成, 5 已退款, 6 资金待结算. */
export type ShippingOrderState = 1 | 2 | 3 | 4 | 5 | 6;

function errcodeOf(v: unknown): number | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as OpenApiAnswer;
  const code = o.errcode ?? o.errCode;
  return typeof code === 'number' ? code : undefined;
}

function errmsgOf(v: unknown): string {
  const o = (v ?? {}) as OpenApiAnswer;
  if (v instanceof Error && o.errMsg === undefined && o.errmsg === undefined) return v.message;
  return String(o.errmsg ?? o.errMsg ?? '');
}

/**
 * Calls one openapi method. wx-server-sdk rejects when WeChat answers errcode ≠ 0 (the error carries
 * errCode/errMsg); an answer with errcode ≠ 0 is refused too, whichever way it arrives.
 */
async function call(method: string, fn: () => Promise<OpenApiAnswer>): Promise<OpenApiAnswer> {
  let answer: OpenApiAnswer;
  try {
    answer = await fn();
  } catch (err) {
    const code = errcodeOf(err);
    console.error(`[shipping] ${method} failed`, { errcode: code, errmsg: errmsgOf(err) });
    throw new ShippingUploadError(code, errmsgOf(err));
  }
  const code = errcodeOf(answer) ?? 0;
  if (code !== 0) {
    console.error(`[shipping] ${method} refused`, { errcode: code, errmsg: errmsgOf(answer) });
    throw new ShippingUploadError(code, errmsgOf(answer));
  }
  return answer;
}

/** WeChat's 发货信息管理, through cloud.openapi. */
export class ShippingService {
  constructor(private readonly openapi: OpenApi) {}

  async upload(body: UploadShippingInfoBody): Promise<void> {
    await call('uploadShippingInfo', () => this.openapi.wxa.sec.order.uploadShippingInfo(body));
  }

  /** The order's state at WeChat. */
  async orderState(body: GetOrderBody): Promise<ShippingOrderState> {
    const answer = await call('getOrder', () => this.openapi.wxa.sec.order.getOrder(body));
    const state = (answer.order as { order_state?: unknown } | undefined)?.order_state;
    if (typeof state !== 'number' || !Number.isInteger(state) || state < 1 || state > 6) {
      throw new ShippingUploadError(undefined, `getOrder answered without a valid order.order_state: ${JSON.stringify(state)}`);
    }
    return state as ShippingOrderState;
  }
}
