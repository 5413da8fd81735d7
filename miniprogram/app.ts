import { config } from './config';
import { setTransport } from './services/api';
import { cloudTransport } from './services/cloud-transport';
import { httpTransport } from './services/http-transport';
import { dispatchReturn } from './services/app-return';
import { chooseMode, currentAppId } from './services/mode';
import { cart } from './stores/cart';

/** What getApp<AppOption>() returns besides the App methods. */
export interface AppOption {
  globalData: { mode: typeof config.mode };
  useMode(mode: typeof config.mode): void;
}

App<AppOption>({
  globalData: { mode: config.mode },

  onLaunch(options) {
    const choice = chooseMode(config.mode, options?.query, currentAppId());
    if (choice.reason) console.warn(`[config] mode '${choice.mode}': ${choice.reason}`);
    this.useMode(choice.mode);
    cart.restore();
  },

  /** Wires the backend for `mode`; also what the DevTools automator suite calls to run in local mode. */
  useMode(mode: typeof config.mode) {
    config.mode = mode;
    this.globalData.mode = mode;
    if (mode === 'cloud') {
      wx.cloud.init(config.cloudEnv ? { env: config.cloudEnv, traceUser: true } : { traceUser: true });
      setTransport(cloudTransport());
    } else {
      setTransport(httpTransport(config.localBaseUrl, config.localOpenId));
    }
  },

  onShow(options) {
    // Returns from other mini-programs (PAYJS, the receipt page): their handlers register in the pay
    // subpackage's stores; App.onShow and the page's onShow come in either order, the stores cope with both.
    dispatchReturn(options);
  },
});
