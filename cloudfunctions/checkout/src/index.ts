import * as cloud from 'wx-server-sdk';
import { withTimeBudget } from '../../common/http';
import { startContext } from '../../common/start';
import { handleCheckout, handleTimer, isTimerEvent } from './handler';

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
// Key files named by relative paths sit beside index.js in the uploaded folder.
// cloud.openapi: 发货信息管理 (the permissions are listed in config.json).
const ctx = startContext(cloud.database(), process.env, __dirname, cloud.openapi);

/**
 * Time for all provider requests of one call, retries included; config.json gives the function 60 s.
 * A payer waits on a call, so it gets far less than the timer run, which may close several trades.
 */
export const CALL_BUDGET_MS = 20_000;
export const TIMER_BUDGET_MS = 50_000;

/**
 * Called by `wx.cloud.callFunction({ name: 'checkout', data })`, and every 5 minutes by the timer
 * trigger in config.json to close expired orders. The timer run is recognised by its source
 * (`SOURCE` is `wx_trigger` only for the timer trigger), never by the event alone, which any caller
 * without an identity (e.g. the HTTP API, `wx_http`) could send.
 */
export async function main(event: unknown) {
  const { OPENID, SOURCE } = cloud.getWXContext();
  if (!OPENID && SOURCE === 'wx_trigger' && isTimerEvent(event)) return withTimeBudget(TIMER_BUDGET_MS, () => handleTimer(ctx));
  return withTimeBudget(CALL_BUDGET_MS, () => handleCheckout(event, OPENID, ctx));
}
