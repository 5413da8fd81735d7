/**
 * The payer's 确认收货: WeChat's receipt page (wx.openBusinessView, businessType weappOrderConfirm), whose
 * result comes back through App.onShow like a return from another mini-program (services/app-return.ts).
 * That result is a hint: the server asks WeChat before the order becomes RECEIVED.
 */
import type { Order, ReceiptComponentAppId, ReceiptReturnHint } from '../../../typings/checkout';
import { config } from '../../config';
import { ApiError, call } from '../../services/api';
import { postJson } from '../../services/http-transport';

/** The appId WeChat's receipt page returns from. */
export const RECEIPT_APP_ID: ReceiptComponentAppId = 'wx1183b055aeec94d1';

/** The hint in the receipt page's extraData on return; unknown fields are dropped. */
export function receiptReturnHint(extra: Record<string, unknown>): ReceiptReturnHint {
  const hint: ReceiptReturnHint = {};
  if (extra.status === 'success' || extra.status === 'fail' || extra.status === 'cancel') hint.status = extra.status;
  if (typeof extra.errormsg === 'string') hint.errormsg = extra.errormsg;
  if (typeof extra.req_extradata === 'object' && extra.req_extradata !== null) hint.req_extradata = extra.req_extradata as Record<string, unknown>;
  return hint;
}

/** Why the receipt page could not be opened. */
export class ReceiptUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReceiptUnavailable';
  }
}

/**
 * Opens the receipt page for a shipped order. Cloud mode: resolves null once it is open (its result
 * arrives through App.onShow). Local mode: the 确认收货 / 取消 sheet stands in for it, through the sandbox's
 * 发货信息管理 emulator, and this resolves with the result the page would hand back.
 */
export function openReceiptPage(order: Pick<Order, 'transactionId'>): Promise<ReceiptReturnHint | null> {
  const transactionId = order.transactionId;
  if (!transactionId) return Promise.reject(new ReceiptUnavailable('该订单暂不能在小程序内确认收货'));
  const extraData = { transaction_id: transactionId };
  if (config.mode === 'local') return simulateReceiptPage(extraData);
  // Base library 2.6.0 and later; older WeChat has no receipt page to open.
  const open = wx.openBusinessView;
  if (typeof open !== 'function' || !wx.canIUse('openBusinessView')) {
    return Promise.reject(new ReceiptUnavailable('当前微信版本过低，请升级微信后再确认收货'));
  }
  return new Promise((resolve, reject) => {
    open.call(wx, {
      businessType: 'weappOrderConfirm',
      extraData,
      success: () => resolve(null),
      fail: (err: { errMsg: string }) => reject(new Error(err.errMsg)),
    });
  });
}

function chooseReceipt(): Promise<'confirm' | 'cancel'> {
  return new Promise((resolve) => {
    wx.showActionSheet({
      itemList: ['确认收货', '取消'],
      success: (res) => resolve(res.tapIndex === 0 ? 'confirm' : 'cancel'),
      fail: () => resolve('cancel'),
    });
  });
}

/** Local mode: the payer in the receipt page, played against the emulator. */
async function simulateReceiptPage(extraData: Record<string, string>): Promise<ReceiptReturnHint> {
  const outcome = await chooseReceipt();
  const answer = await postJson(`${config.localBaseUrl}/sandbox/api/shipping/receipt`, { extraData, openid: config.localOpenId, outcome });
  const result = (answer as { result?: unknown } | null)?.result;
  return receiptReturnHint(typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {});
}

/** Asks the server, which asks WeChat. RECEIPT_NOT_CONFIRMED and the like come back as ApiError. */
export async function confirmReceipt(orderId: string): Promise<Order> {
  const { order } = await call<'confirmReceipt'>({ action: 'confirmReceipt', orderId });
  return order;
}

export { ApiError };
