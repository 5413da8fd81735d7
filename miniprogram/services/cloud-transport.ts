/** Transport over wx.cloud.callFunction (production). */
import type { Transport } from './api';

export function cloudTransport(): Transport {
  return {
    async call(name, data) {
      const res = await wx.cloud.callFunction({ name, data });
      return res.result;
    },
  };
}
