/**
 * The 云调用 (cloud.openapi) methods of WeChat's 发货信息管理 this project uses. Their bodies and answers are
 * those of the HTTPS API (wxa/sec/order/upload_shipping_info, get_order): "出入参和 HTTPS 调用相同". The
 * function's config.json must list them under permissions.openapi.
 */

export interface OrderKey {
  /** 1: mchid + out_trade_no; 2: transaction_id. */
  order_number_type: 1 | 2;
  mchid?: string;
  out_trade_no?: string;
  transaction_id?: string;
}

export interface ShippingItem {
  tracking_no?: string;
  express_company?: string;
  item_desc: string;
  contact?: { consignor_contact?: string; receiver_contact?: string };
}

export interface UploadShippingInfoBody {
  order_key: OrderKey;
  /** 1 express, 2 同城配送, 3 virtual goods, 4 用户自提. */
  logistics_type: 1 | 2 | 3 | 4;
  /** 1 UNIFIED_DELIVERY (one package), 2 SPLIT_DELIVERY (with is_all_delivered). */
  delivery_mode: 1 | 2;
  is_all_delivered?: boolean;
  shipping_list: ShippingItem[];
  upload_time: string;
  payer: { openid: string };
}

/** get_order: by transaction_id, or by merchant_id + merchant_trade_no. */
export type GetOrderBody = { transaction_id: string } | { merchant_id: string; merchant_trade_no: string };

export interface OpenApiAnswer {
  errcode?: number;
  errmsg?: string;
  /** wx-server-sdk reports the outcome in camelCase too. */
  errCode?: number;
  errMsg?: string;
  [field: string]: unknown;
}

export interface WxaSecOrder {
  uploadShippingInfo(body: UploadShippingInfoBody): Promise<OpenApiAnswer>;
  getOrder(body: GetOrderBody): Promise<OpenApiAnswer>;
}

/** The part of `cloud.openapi` used here. */
export interface OpenApi {
  wxa: { sec: { order: WxaSecOrder } };
}
