import * as cloud from 'wx-server-sdk';
import { startContext } from '../../common/start';
import { handleNotify } from './handler';
import type { HttpAccessEvent } from './http-event';

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
// Key files named by relative paths sit beside index.js in the uploaded folder.
// cloud.openapi: 发货信息管理 (the permissions are listed in config.json).
const ctx = startContext(cloud.database(), process.env, __dirname, cloud.openapi);

/** Triggered by the HTTP access service at the URL given as WXPAY_NOTIFY_URL / PAYJS_NOTIFY_URL. */
export async function main(event: HttpAccessEvent) {
  return handleNotify(event, ctx);
}
