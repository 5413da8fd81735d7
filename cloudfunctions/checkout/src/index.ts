import * as cloud from 'wx-server-sdk';
import { startContext } from '../../common/start';
import { handleCheckout, handleTimer, isTimerEvent } from './handler';

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
// Key files named by relative paths sit beside index.js in the uploaded folder.
// cloud.openapi: 发货信息管理 (the permissions are listed in config.json).
const ctx = startContext(cloud.database(), process.env, __dirname, cloud.openapi);

/**
 * Called by `wx.cloud.callFunction({ name: 'checkout', data })`, and every 5 minutes by the timer
 * trigger in config.json (no caller identity) to close expired orders.
 */
export async function main(event: unknown) {
  const { OPENID } = cloud.getWXContext();
  if (!OPENID && isTimerEvent(event)) return handleTimer(ctx);
  return handleCheckout(event, OPENID, ctx);
}
