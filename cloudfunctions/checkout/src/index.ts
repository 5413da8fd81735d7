import * as cloud from 'wx-server-sdk';
import { startContext } from '../../common/start';
import { handleCheckout } from './handler';

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
const ctx = startContext(cloud.database());

/** Called by `wx.cloud.callFunction({ name: 'checkout', data })`. */
export async function main(event: unknown) {
  return handleCheckout(event, cloud.getWXContext().OPENID, ctx);
}
