/**
 * The contract between the mini-program and the `checkout` cloud function.
 * Types only: both sides import it, so any change here breaks the compiler on both sides.
 * Money is always an integer number of fen (分).
 */

export type Fen = number;

/** Epoch milliseconds. */
export type Millis = number;

export type OrderStatus = 'PENDING' | 'PAID' | 'CLOSED' | 'REFUNDED';

/** wechat: wx.requestPayment (JSAPI); native: scan-to-pay QR; payjs: jump to the PAYJS mini-program. */
export type PayMethod = 'wechat' | 'native' | 'payjs';

export type ErrorCode =
  /** The event is malformed: wrong action, missing or bad field. Nothing was written. */
  | 'INVALID_ARGUMENT'
  /** No such product or order (for this user). */
  | 'NOT_FOUND'
  | 'OUT_OF_STOCK'
  /** The caller already has the maximum number of unpaid orders: pay or cancel one first. */
  | 'TOO_MANY_PENDING_ORDERS'
  /** The order is closed (cancelled or expired) and can no longer be paid. */
  | 'ORDER_CLOSED'
  | 'ALREADY_PAID'
  /** The order is already being paid with another method; pay with that one or cancel it. */
  | 'METHOD_MISMATCH'
  /** The payment method is not configured on this deployment. */
  | 'METHOD_UNAVAILABLE'
  /** The payment provider refused or could not be reached; retrying is safe. */
  | 'PROVIDER_ERROR'
  /** No caller identity (no OPENID in the WeChat context). */
  | 'UNAUTHENTICATED'
  /** The caller is not on the merchant's staff list (MERCHANT_OPENIDS): nothing was read. */
  | 'FORBIDDEN'
  /** The order is not paid (or no longer paid), so it cannot be refunded. */
  | 'ORDER_NOT_PAID'
  /** The refunds not CLOSED would add up to more than the paid amount: nothing was sent to the provider. */
  | 'REFUND_EXCEEDS_PAID'
  /** Refunds are not possible on this deployment or with this order's provider (e.g. v2 without its certificate, PAYJS partial). */
  | 'REFUND_UNAVAILABLE'
  /** The order already has an open refund request from its payer. */
  | 'REFUND_REQUEST_OPEN'
  /** WeChat (发货信息管理) refused the shipping upload; nothing changed. Its errcode is in the function's log. */
  | 'SHIPPING_UPLOAD_FAILED'
  /** The order cannot be shipped now: not paid, refunded, or already received. */
  | 'NOT_SHIPPABLE'
  /** The order was shipped and re-shipped once already; WeChat allows one re-shipping per payment. */
  | 'RESHIP_LIMIT_REACHED'
  /** Receipt can be confirmed only for a shipped order. */
  | 'NOT_SHIPPED'
  /** WeChat does not (yet) report the payer's confirmation of receipt: confirm in WeChat's receipt page first. */
  | 'RECEIPT_NOT_CONFIRMED'
  /** The deployment's configuration is missing or invalid; the message names the variable. */
  | 'CONFIG_ERROR'
  /** Anything unexpected; the message is generic, details are in the function's log. */
  | 'INTERNAL';

export interface ApiError {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; data: T } | { ok: false; error: ApiError };

export interface Product {
  skuId: string;
  name: string;
  priceFen: Fen;
  stock: number;
  description?: string;
  image?: string;
}

export interface OrderItem {
  skuId: string;
  name: string;
  /** Unit price from the server's catalog at the time of ordering. */
  priceFen: Fen;
  quantity: number;
  subtotalFen: Fen;
}

export type CloseReason = 'CANCELLED' | 'EXPIRED';

export interface Order {
  orderId: string;
  /** The merchant order number sent to the provider; the same for every payment attempt. */
  outTradeNo: string;
  status: OrderStatus;
  amountFen: Fen;
  items: OrderItem[];
  /** Set by the first `pay`; later attempts must use the same method. */
  payMethod?: PayMethod;
  createdAt: Millis;
  expiresAt: Millis;
  paidAt?: Millis;
  closedAt?: Millis;
  closeReason?: CloseReason;
  /** Present once the order has had a refund: every refund, newest last. */
  refunds?: Refund[];
  /** The sum of the SUCCESS refunds, present with `refunds`. `status` becomes REFUNDED when it reaches `amountFen`. */
  refundedFen?: Fen;
  /** The payer's request for a refund, if they made one. */
  refundRequest?: RefundRequest;
  /** Present once the order is paid: delivery, separate from the payment `status`. */
  fulfilment?: Fulfilment;
  /** WeChat Pay's transaction id of the payment, once paid: WeChat's 确认收货 page is opened with it. */
  transactionId?: string;
}

/** UNSHIPPED → SHIPPED (shipping recorded, uploaded to WeChat's 发货信息管理) → RECEIVED (the payer confirmed). */
export type FulfilmentState = 'UNSHIPPED' | 'SHIPPED' | 'RECEIVED';

/** How an order reaches its payer (WeChat's logistics_type 1–4). */
export type Logistics = 'EXPRESS' | 'LOCAL_DELIVERY' | 'VIRTUAL' | 'PICKUP';

export interface Shipping {
  logistics: Logistics;
  /** EXPRESS only: the carrier's tracking number. */
  trackingNo?: string;
  /** EXPRESS only: the carrier's code from WeChat's get_delivery_list (e.g. SF, ZTO, YTO). */
  expressCompany?: string;
  /** What was sent, as shown to the payer by WeChat (at most 120 characters). */
  itemDesc: string;
  /**
   * UPLOADED: WeChat's 发货信息管理 has it. OFF: not uploaded, SHIPPING_INFO_UPLOAD=off. NOT_WECHAT_PAY:
   * not uploaded, the payment was not a WeChat Pay payment of this mini-program (PAYJS).
   */
  upload: 'UPLOADED' | 'OFF' | 'NOT_WECHAT_PAY';
  /** This shipping replaced an earlier one (WeChat allows one re-shipping per payment). */
  reshipped?: boolean;
}

export interface Fulfilment {
  state: FulfilmentState;
  /** The latest shipping. */
  shipping?: Shipping;
  shippedAt?: Millis;
  receivedAt?: Millis;
  /** Set when the order was refunded in full: nothing more to ship or receive. */
  endedAt?: Millis;
}

/** What a product's fulfilment hook does once its order is paid (cloudfunctions/common/fulfilment). */
export type FulfilmentType = 'goods' | 'virtual' | 'membership';

/**
 * A refund's life: PROCESSING (accepted by the provider, not final) → SUCCESS | CLOSED, or ABNORMAL
 * (the payer's account could not take the money: not final, the merchant retries or settles it in the
 * merchant platform, and it can still become SUCCESS or CLOSED).
 */
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

export interface Refund {
  refundId: string;
  /** The merchant refund number sent to the provider; the same for every retry of this refund. */
  outRefundNo: string;
  amountFen: Fen;
  reason?: string;
  status: RefundStatus;
  /** auto: a payment that arrived for an order already closed, refunded in full without anyone asking. */
  requestedBy: 'merchant' | 'auto';
  createdAt: Millis;
  succeededAt?: Millis;
  /** Why the provider refused the application (the refund is then CLOSED and its amount free again). */
  failure?: string;
}

export type RefundRequestStatus = 'OPEN' | 'APPROVED' | 'REJECTED';

export interface RefundRequest {
  reason: string;
  requestedAt: Millis;
  status: RefundRequestStatus;
  /** The merchant's note when resolving it. */
  note?: string;
  resolvedAt?: Millis;
}

/** Exactly what `wx.requestPayment` takes (besides callbacks). */
export interface RequestPaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA' | 'MD5' | 'HMAC-SHA256';
  paySign: string;
}

/** Signed parameters for `wx.navigateToMiniProgram` to PAYJS. */
export interface PayjsExtraData {
  mchid: string;
  total_fee: Fen;
  out_trade_no: string;
  body: string;
  notify_url: string;
  attach?: string;
  nonce: string;
  sign: string;
}

export interface PayjsJump {
  appId: 'wx959c8c1fb2d877b5';
  path: 'pages/pay';
  extraData: PayjsExtraData;
}

/** What the PAYJS mini-program hands back in `referrerInfo.extraData` (a hint, never proof of payment). */
export interface PayjsReturnHint {
  success?: boolean;
  resultCode?: string;
  msg?: string;
  payjsOrderId?: string;
}

export interface CartLine {
  skuId: string;
  quantity: number;
}

// ---- events -------------------------------------------------------------------------------------

export interface ListProductsEvent {
  action: 'listProducts';
}
export interface CreateOrderEvent {
  action: 'createOrder';
  items: CartLine[];
  /** Optional idempotency key chosen by the client: retrying with the same key returns the same order. */
  requestId?: string;
}
export interface PayEvent {
  action: 'pay';
  orderId: string;
  method: PayMethod;
}
export interface QueryOrderEvent {
  action: 'queryOrder';
  orderId: string;
  /** PAYJS only: what the PAYJS mini-program reported on return. A hint for when to ask PAYJS, nothing more. */
  payjsOrderId?: string;
}
export interface CancelOrderEvent {
  action: 'cancelOrder';
  orderId: string;
}
export interface ListOrdersEvent {
  action: 'listOrders';
}
/** The payer asks the merchant to refund their own paid order (one open request at a time). */
export interface RequestRefundEvent {
  action: 'requestRefund';
  orderId: string;
  /** 1–80 characters, shown to the merchant. */
  reason: string;
}

/**
 * The payer says they received a shipped order (after WeChat's 确认收货 page). A claim only: the order
 * becomes RECEIVED once WeChat confirms it (getOrder order_state ≥ 3), exactly once.
 */
export interface ConfirmReceiptEvent {
  action: 'confirmReceipt';
  orderId: string;
}

export type CheckoutEvent =
  | ListProductsEvent
  | CreateOrderEvent
  | PayEvent
  | QueryOrderEvent
  | CancelOrderEvent
  | ListOrdersEvent
  | RequestRefundEvent
  | ConfirmReceiptEvent;

export type CheckoutAction = CheckoutEvent['action'];

export type PayData =
  | { method: 'wechat'; order: Order; payment: RequestPaymentParams }
  | { method: 'native'; order: Order; codeUrl: string }
  | { method: 'payjs'; order: Order; payjs: PayjsJump };

/** The `data` of a successful result, per action. */
export interface CheckoutData {
  /** payMethods: what this deployment has configured (the cart offers only these). */
  listProducts: { products: Product[]; payMethods: PayMethod[] };
  createOrder: { order: Order };
  pay: PayData;
  queryOrder: { order: Order };
  cancelOrder: { order: Order };
  listOrders: { orders: Order[] };
  requestRefund: { order: Order };
  confirmReceipt: { order: Order };
}

export type EventOf<A extends CheckoutAction> = Extract<CheckoutEvent, { action: A }>;
export type CheckoutResult<A extends CheckoutAction> = Result<CheckoutData[A]>;

/** The appId WeChat's 确认收货 component returns from (App.onShow referrerInfo.appId). */
export type ReceiptComponentAppId = 'wx1183b055aeec94d1';

/** What the 确认收货 component hands back in `referrerInfo.extraData` (a hint: the server asks WeChat). */
export interface ReceiptReturnHint {
  status?: 'success' | 'fail' | 'cancel';
  errormsg?: string;
  req_extradata?: Record<string, unknown>;
}

/** The PAYJS mini-program's appId (fixed by PAYJS). */
export type PayjsAppId = PayjsJump['appId'];
