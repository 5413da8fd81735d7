import type { OpenApiAnswer } from '../../../cloudfunctions/common/shipping/openapi';

/**
 * `cloud.openapi` of the stand-in: the 云调用 methods the functions use, answered by whatever the local
 * host (or a test) installs with useOpenApi — the 发货信息管理 emulator. Like wx-server-sdk, a call whose
 * answer has errcode ≠ 0 rejects with an error carrying errCode and errMsg, and a success resolves with
 * the answer plus errCode 0 (the SDK's error shape is inferred from its behaviour, not documented).
 */

export interface OpenApiBackend {
  uploadShippingInfo(body: unknown): OpenApiAnswer;
  getOrder(body: unknown): OpenApiAnswer;
}

let backend: OpenApiBackend | undefined;

/** Installs what answers cloud.openapi from now on (undefined: calls fail as if WeChat were unreachable). */
export function useOpenApi(b: OpenApiBackend | undefined): void {
  backend = b;
}

export class OpenApiError extends Error {
  constructor(
    readonly errCode: number,
    readonly errMsg: string,
  ) {
    super(`errCode: ${errCode} | errMsg: ${errMsg}`);
    this.name = 'OpenApiError';
  }
}

async function invoke(name: string, method: keyof OpenApiBackend, body: unknown): Promise<OpenApiAnswer> {
  // The body crosses the network as JSON: nothing but JSON data arrives.
  const sent = JSON.parse(JSON.stringify(body ?? {})) as unknown;
  if (!backend) throw new OpenApiError(-1, `openapi.${name}:fail no 发货信息管理 emulator is installed`);
  const answer = backend[method](sent);
  const code = answer.errcode ?? 0;
  if (code !== 0) throw new OpenApiError(code, `openapi.${name}:fail ${answer.errmsg ?? ''}`);
  return { ...answer, errCode: 0, errMsg: `openapi.${name}:ok` };
}

export const openapi = {
  wxa: {
    sec: {
      order: {
        uploadShippingInfo: (body: unknown) => invoke('wxa.sec.order.uploadShippingInfo', 'uploadShippingInfo', body),
        getOrder: (body: unknown) => invoke('wxa.sec.order.getOrder', 'getOrder', body),
      },
    },
  },
};
