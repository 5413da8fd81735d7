import * as cloud from 'wx-server-sdk';
import { withTimeBudget } from '../../common/http';
import { startContext } from '../../common/start';
import { handleNotify } from './handler';
import { bodyTooLarge, type HttpAccessEvent } from './http-event';

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
// Key files named by relative paths sit beside index.js in the uploaded folder.
// cloud.openapi: 发货信息管理 (the permissions are listed in config.json).
const ctx = startContext(cloud.database(), process.env, __dirname, cloud.openapi);

/** WeChat Pay wants the answer within 5 s; outbound requests (certificate download, queries) share 4 s. */
export const NOTIFY_BUDGET_MS = 4_000;

/** Triggered by the HTTP access service at the URL given as WXPAY_NOTIFY_URL / PAYJS_NOTIFY_URL. */
export async function main(event: HttpAccessEvent) {
  // Before anything is parsed or read from the database: a notification is a few KB.
  const refused = bodyTooLarge(event);
  if (refused) return refused;
  return withTimeBudget(NOTIFY_BUDGET_MS, () => handleNotify(event, ctx));
}
