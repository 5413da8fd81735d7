/**
 * Client configuration. Nothing confidential belongs here: everything in miniprogram/ ships to every user
 * (CI greps this folder for key material). Payment keys live only in the cloud function's environment.
 */
export interface ClientConfig {
  /**
   * 'cloud': wx.cloud.callFunction; 'local': HTTP to the local sandbox host (DevTools: 不校验合法域名).
   * Overridden per launch by the query `mode=local|cloud` (a DevTools 编译模式), and local with the tourist
   * AppID (services/mode.ts); app.ts writes the chosen mode back here at launch.
   */
  mode: 'cloud' | 'local';
  /** Cloud environment id (云开发控制台 → 环境 ID); empty: the default environment of this AppID. */
  cloudEnv: string;
  /** The local sandbox host (`npm start`). */
  localBaseUrl: string;
  /** The fixed identity the local host accepts in place of WeChat's OPENID. */
  localOpenId: string;
}

export const config: ClientConfig = {
  mode: 'cloud',
  cloudEnv: '',
  localBaseUrl: 'http://127.0.0.1:8787',
  localOpenId: 'local-openid-0001',
};
