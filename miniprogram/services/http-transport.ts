/**
 * Transport over wx.request to the local sandbox host: POST `${baseUrl}/api/${name}` with a JSON body.
 * The host has no WeChat context, so the caller identity travels in X-WX-OPENID (it answers 401 without).
 */
import type { Transport } from './api';

export class HttpStatusError extends Error {
  constructor(readonly statusCode: number) {
    super(`HTTP ${statusCode}`);
    this.name = 'HttpStatusError';
    Object.setPrototypeOf(this, HttpStatusError.prototype);
  }
}

/** POSTs JSON and resolves the parsed body of a 2xx answer. Shared with the local payment simulator. */
export function postJson(url: string, body: object, header: Record<string, string> = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    wx.request({
      url,
      method: 'POST',
      data: body,
      header: { 'content-type': 'application/json', ...header },
      success: (res) => {
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(res.data);
        // The function's own errors come back as a Result; pass them through so the caller sees the code.
        else if (isResultBody(res.data)) resolve(res.data);
        else reject(new HttpStatusError(res.statusCode));
      },
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}

function isResultBody(data: unknown): boolean {
  return typeof data === 'object' && data !== null && typeof (data as { ok?: unknown }).ok === 'boolean';
}

export function httpTransport(baseUrl: string, openId: string): Transport {
  return {
    call(name, data) {
      return postJson(`${baseUrl}/api/${encodeURIComponent(name)}`, data, { 'X-WX-OPENID': openId });
    },
  };
}
