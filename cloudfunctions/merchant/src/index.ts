import * as cloud from 'wx-server-sdk';
import { startContext } from '../../common/start';
import { handleMerchant } from './handler';

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
// Key files named by relative paths sit beside index.js in the uploaded folder.
// cloud.openapi: 发货信息管理 (the permissions are listed in config.json).
const ctx = startContext(cloud.database(), process.env, __dirname, cloud.openapi);

/** Called by the merchant pages with `wx.cloud.callFunction({ name: 'merchant', data })`. */
export async function main(event: unknown) {
  const { OPENID } = cloud.getWXContext();
  return handleMerchant(event, OPENID, ctx);
}
