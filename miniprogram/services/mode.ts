/**
 * Which backend this launch talks to, decided at launch without editing a tracked file:
 * 1. a launch query `mode=local` or `mode=cloud` (DevTools → 编译模式 → 启动参数; DevTools saves it in the
 *    git-ignored project.private.config.json);
 * 2. else `config.mode`, except that the tourist AppID cannot use cloud development at all, so a fresh
 *    fork opened with `touristappid` runs against the local host (`npm start`) instead of failing every call.
 */
import type { ClientConfig } from '../config';

export const TOURIST_APPID = 'touristappid';

export interface ModeChoice {
  mode: ClientConfig['mode'];
  /** Why it is not config.mode; logged at launch. Empty when config.mode stands. */
  reason: string;
}

export function chooseMode(configured: ClientConfig['mode'], launchQuery: Record<string, string | undefined> | undefined, appId: string | undefined): ModeChoice {
  const asked = launchQuery?.mode;
  if (asked === 'local' || asked === 'cloud') return { mode: asked, reason: asked === configured ? '' : `launch query mode=${asked}` };
  if (configured === 'cloud' && appId === TOURIST_APPID) {
    return {
      mode: 'local',
      reason: 'the tourist AppID (touristappid) cannot use cloud development: using local mode (run `npm start`; DevTools 详情 → 本地设置 → 不校验合法域名). Put your AppID into project.config.json for cloud mode.',
    };
  }
  return { mode: configured, reason: '' };
}

/** The AppID this build runs as, where the base library can tell. */
export function currentAppId(): string | undefined {
  try {
    return typeof wx.getAccountInfoSync === 'function' ? wx.getAccountInfoSync().miniProgram.appId : undefined;
  } catch {
    return undefined;
  }
}
