import type { Logistics, OrderItem, Shipping } from '../../../typings/checkout';
import { toRfc3339BeijingMs } from '../time';
import type { GetOrderBody, OrderKey, UploadShippingInfoBody } from './openapi';

/** What an upload is built from: the paid order as stored, and the shipping being recorded. */
export interface ShippedOrder {
  outTradeNo: string;
  transactionId?: string;
  /** The payer. */
  openid: string;
}

export const LOGISTICS_TYPE: Record<Logistics, UploadShippingInfoBody['logistics_type']> = {
  EXPRESS: 1,
  LOCAL_DELIVERY: 2,
  VIRTUAL: 3,
  PICKUP: 4,
};

/** WeChat shows item_desc to the payer; at most 120 characters. */
export const MAX_ITEM_DESC = 120;

/** "name*quantity" per line, cut to 120 characters: the default description of what was sent. */
export function describeItems(items: Pick<OrderItem, 'name' | 'quantity'>[]): string {
  const text = items.map((i) => `${i.name}*${i.quantity}`).join('；');
  return [...text].slice(0, MAX_ITEM_DESC).join('');
}

/** The payment, as 发货信息管理 names it: by WeChat Pay's transaction id when known, else mchid + out_trade_no. */
export function orderKeyOf(order: ShippedOrder, mchid: string): OrderKey {
  if (order.transactionId) return { order_number_type: 2, transaction_id: order.transactionId };
  return { order_number_type: 1, mchid, out_trade_no: order.outTradeNo };
}

export function getOrderBodyOf(order: ShippedOrder, mchid: string): GetOrderBody {
  if (order.transactionId) return { transaction_id: order.transactionId };
  return { merchant_id: mchid, merchant_trade_no: order.outTradeNo };
}

/** The uploadShippingInfo body for one package sent in one go (UNIFIED_DELIVERY). */
export function buildUpload(order: ShippedOrder, shipping: Shipping, mchid: string, now: number): UploadShippingInfoBody {
  const item: UploadShippingInfoBody['shipping_list'][number] = { item_desc: shipping.itemDesc };
  if (shipping.logistics === 'EXPRESS') {
    item.tracking_no = shipping.trackingNo;
    item.express_company = shipping.expressCompany;
  }
  return {
    order_key: orderKeyOf(order, mchid),
    logistics_type: LOGISTICS_TYPE[shipping.logistics],
    delivery_mode: 1,
    shipping_list: [item],
    upload_time: toRfc3339BeijingMs(now),
    payer: { openid: order.openid },
  };
}
