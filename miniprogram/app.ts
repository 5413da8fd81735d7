import { config } from './config';
import { setTransport } from './services/api';
import { cloudTransport } from './services/cloud-transport';
import { httpTransport } from './services/http-transport';
import { payjsReturnHint } from './services/payjs';
import { cart } from './stores/cart';
import { checkout } from './stores/checkout';

/** What getApp<AppOption>() returns besides the App methods. */
export interface AppOption {
  globalData: { mode: typeof config.mode };
}

App<AppOption>({
  globalData: { mode: config.mode },

  onLaunch() {
    if (config.mode === 'cloud') {
      wx.cloud.init({ env: config.cloudEnv, traceUser: true });
      setTransport(cloudTransport());
    } else {
      setTransport(httpTransport(config.localBaseUrl, config.localOpenId));
    }
    cart.restore();
  },

  onShow(options) {
    // Back from PAYJS: keep its hint for the paying page, which asks the server (order of onShows is not guaranteed).
    const hint = payjsReturnHint(options);
    if (hint) checkout.recordPayjsReturn(hint);
  },
});
