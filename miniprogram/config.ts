import type { PayMethod } from '../typings/checkout';

/**
 * Client configuration. Nothing confidential belongs here: everything in miniprogram/ ships to every user
 * (CI greps this folder for key material). Payment keys live only in the cloud function's environment.
 */
export interface ClientConfig {
  /** 'cloud': wx.cloud.callFunction; 'local': HTTP to the local sandbox host (DevTools: 不校验合法域名). */
  mode: 'cloud' | 'local';
  /** Cloud environment id from the DevTools cloud console. Replace the placeholder. */
  cloudEnv: string;
  /** The local sandbox host (`npm start`). */
  localBaseUrl: string;
  /** The fixed identity the local host accepts in place of WeChat's OPENID. */
  localOpenId: string;
  /** The payment methods the cart offers: keep those your deployment configures (see README). */
  payMethods: PayMethod[];
}

export const config: ClientConfig = {
  mode: 'cloud',
  cloudEnv: 'your-cloud-env-id',
  localBaseUrl: 'http://127.0.0.1:8787',
  localOpenId: 'local-openid-0001',
  // PAYJS admits no new merchants ("仅供测试使用"): remove 'payjs' unless you already have it.
  payMethods: ['wechat', 'native', 'payjs'],
};
