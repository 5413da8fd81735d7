import { parseRfc3339 } from '../../../cloudfunctions/common/time';
import type { OpenApiAnswer, UploadShippingInfoBody } from '../../../cloudfunctions/common/shipping/openapi';
import type { StateStore } from './state-file';

/**
 * An emulator of WeChat's 发货信息管理 (小程序发货信息管理服务), answering the 云调用 methods
 * wxa.sec.order.uploadShippingInfo and wxa.sec.order.getOrder, plus the payer's 确认收货 component.
 * It holds what the platform holds: a payment must be paid at the payment emulator before it can be
 * shipped, the fields must fit the logistics type, one re-shipping only, and order_state moves
 * 1 待发货 → 2 已发货 → 3 确认收货 (5 已退款 after a full refund).
 *
 * errcodes: 10060001 支付单不存在, 10060003 re-shipping used, 10060004 不可发货的状态, 10060031 payer
 * mismatch, 268485216 upload_time, 47001 data format error are as the platform answers them (docs and
 * the developer community). The codes for the per-field checks (10060005–10060009, 10060014, 10060024,
 * 268485224, 268485228) follow the documented error table as far as we could read it; where a check is
 * inferred rather than documented, its line says so.
 */

/** A payment as the payment emulator holds it. */
export interface EmulatedPaidPayment {
  mchid: string;
  outTradeNo: string;
  transactionId: string;
  openid: string;
  amountFen: number;
  description: string;
  paidAt: number;
  /** Refunded in full at the payment emulator. */
  refundedInFull: boolean;
}

export type ShippingOrderState = 1 | 2 | 3 | 5;

export interface ShippingUpload {
  at: number;
  uploadTime: string;
  logisticsType: number;
  deliveryMode: number;
  shippingList: UploadShippingInfoBody['shipping_list'];
}

export interface ShippingRecord {
  transactionId: string;
  mchid: string;
  outTradeNo: string;
  openid: string;
  /** 1, 2 or 3 as recorded; 5 is derived from the payment. */
  state: 1 | 2 | 3;
  uploads: ShippingUpload[];
  confirmedAt?: number;
}

/** What the 确认收货 component hands back in referrerInfo.extraData. */
export interface ReceiptComponentResult {
  status: 'success' | 'fail' | 'cancel';
  errormsg?: string;
  req_extradata: Record<string, unknown>;
}

export interface ShippingEmulatorOptions {
  /** The paid payment the key names at the payment emulators, if any. */
  findPayment(key: { transactionId: string } | { mchid: string; outTradeNo: string }): EmulatedPaidPayment | undefined;
  store?: StateStore<ShippingRecord>;
  now?: () => number;
}

const ok = (extra: Record<string, unknown> = {}): OpenApiAnswer => ({ errcode: 0, errmsg: 'ok', ...extra });
const refuse = (errcode: number, errmsg: string): OpenApiAnswer => ({ errcode, errmsg });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

function readRecord(saved: unknown): ShippingRecord {
  if (!isObject(saved) || !isText(saved.transactionId) || !isText(saved.outTradeNo) || !Array.isArray(saved.uploads) || ![1, 2, 3].includes(saved.state as number)) {
    throw new Error('not a shipping record');
  }
  return saved as unknown as ShippingRecord;
}

export function createShippingEmulator(opts: ShippingEmulatorOptions) {
  const now = opts.now ?? Date.now;
  const records = new Map<string, ShippingRecord>();
  for (const r of opts.store?.load(readRecord) ?? []) records.set(r.transactionId, r);
  const save = () => opts.store?.save([...records.values()]);

  type Key = { transactionId: string } | { mchid: string; outTradeNo: string };

  /** The payment and its record (created at 待发货 on first sight of a paid payment). */
  function lookup(key: Key): { payment: EmulatedPaidPayment; record: ShippingRecord } | undefined {
    const payment = opts.findPayment(key);
    if (!payment) return undefined;
    let record = records.get(payment.transactionId);
    if (!record) {
      record = { transactionId: payment.transactionId, mchid: payment.mchid, outTradeNo: payment.outTradeNo, openid: payment.openid, state: 1, uploads: [] };
      records.set(payment.transactionId, record);
    }
    return { payment, record };
  }

  const stateOf = (payment: EmulatedPaidPayment, record: ShippingRecord): ShippingOrderState => (payment.refundedInFull ? 5 : record.state);

  function keyFromOrderKey(k: unknown): { key: Key } | { refusal: OpenApiAnswer } {
    const no = (msg: string) => ({ refusal: refuse(47001, `data format error: ${msg}`) });
    if (!isObject(k)) return no('order_key is required');
    if (k.order_number_type === 2) return isText(k.transaction_id) ? { key: { transactionId: k.transaction_id } } : no('order_key.transaction_id is required');
    if (k.order_number_type === 1) {
      return isText(k.mchid) && isText(k.out_trade_no) ? { key: { mchid: k.mchid, outTradeNo: k.out_trade_no } } : no('order_key.mchid and out_trade_no are required');
    }
    return no('order_key.order_number_type must be 1 or 2');
  }

  /** The per-package checks; undefined when every package fits the logistics type. */
  function checkList(list: unknown[], logisticsType: number): OpenApiAnswer | undefined {
    for (const item of list) {
      if (!isObject(item)) return refuse(47001, 'data format error: shipping_list items must be objects');
      if (!isText(item.item_desc)) return refuse(10060008, '商品描述 item_desc 字段不能为空');
      if ([...item.item_desc].length > 120) return refuse(10060009, '商品描述 item_desc 字段太长');
      if (logisticsType === 1) {
        // Documented as required for express; the exact errcode for their absence is inferred.
        if (!isText(item.tracking_no) || !isText(item.express_company)) return refuse(10060014, '参数错误: 物流快递发货时 tracking_no 和 express_company 必填');
        if (item.tracking_no.length > 128) return refuse(10060026, '物流单号太长');
        if (item.express_company.length > 128) return refuse(10060025, '物流公司编码太长');
      }
      const contact = item.contact;
      if (contact !== undefined && !isObject(contact)) return refuse(47001, 'data format error: contact must be an object');
    }
    return undefined;
  }

  function uploadShippingInfo(body: unknown): OpenApiAnswer {
    if (!isObject(body)) return refuse(47001, 'data format error');
    const read = keyFromOrderKey(body.order_key);
    if ('refusal' in read) return read.refusal;
    const key = read.key;
    const { logistics_type: logisticsType, delivery_mode: deliveryMode, shipping_list: list, upload_time: uploadTime, payer } = body;
    if (typeof logisticsType !== 'number' || typeof deliveryMode !== 'number' || !Array.isArray(list) || !isText(uploadTime) || !isObject(payer) || !isText(payer.openid)) {
      return refuse(47001, 'data format error: logistics_type, delivery_mode, shipping_list, upload_time and payer.openid are required');
    }
    if (![1, 2, 3, 4].includes(logisticsType)) return refuse(10060005, '物流类型有误');
    if (deliveryMode !== 1 && deliveryMode !== 2) return refuse(268485224, '发货模式非法');
    if (list.length < 1 || list.length > 15) return refuse(10060024, '物流信息列表长度必须在 1 到 15 之间');
    if (deliveryMode === 1 && list.length !== 1) return refuse(268485228, '统一发货模式下，物流信息列表长度必须为 1');
    if (deliveryMode === 2) {
      if (logisticsType !== 1) return refuse(10060006, '非快递发货时不允许分拆发货');
      if (typeof body.is_all_delivered !== 'boolean') return refuse(10060007, '分拆发货模式下必须填写 is_all_delivered 字段');
    }
    const listProblem = checkList(list, logisticsType);
    if (listProblem) return listProblem;
    const found = lookup(key);
    if (!found) return refuse(10060001, '支付单不存在');
    const { payment, record } = found;
    if (payer.openid !== payment.openid) return refuse(10060031, '该笔支付单不属于 openid 所指定的用户');
    const uploadMs = parseRfc3339(uploadTime);
    const last = record.uploads[record.uploads.length - 1];
    // The platform answers 268485216 both for a malformed time and for one not after the previous upload.
    if (uploadMs === undefined || (last && uploadMs <= (parseRfc3339(last.uploadTime) ?? 0))) return refuse(268485216, '上传时间非法，请按照 RFC 3339 格式填写');
    if (stateOf(payment, record) !== 1 && stateOf(payment, record) !== 2) return refuse(10060004, '支付单处于不可发货的状态');
    if (record.uploads.length >= 2) return refuse(10060003, '支付单已使用重新发货机会');
    record.uploads.push({ at: now(), uploadTime, logisticsType, deliveryMode, shippingList: list as UploadShippingInfoBody['shipping_list'] });
    record.state = 2;
    save();
    return ok();
  }

  function getOrder(body: unknown): OpenApiAnswer {
    if (!isObject(body)) return refuse(47001, 'data format error');
    let key: Key;
    if (isText(body.transaction_id)) key = { transactionId: body.transaction_id };
    else if (isText(body.merchant_id) && isText(body.merchant_trade_no)) key = { mchid: body.merchant_id, outTradeNo: body.merchant_trade_no };
    else return refuse(47001, 'data format error: transaction_id, or merchant_id and merchant_trade_no, are required');
    const found = lookup(key);
    if (!found) return refuse(10060001, '支付单不存在');
    const { payment, record } = found;
    save();
    const last = record.uploads[record.uploads.length - 1];
    return ok({
      order: {
        transaction_id: payment.transactionId,
        merchant_id: payment.mchid,
        merchant_trade_no: payment.outTradeNo,
        description: payment.description,
        paid_amount: payment.amountFen,
        openid: payment.openid,
        trade_create_time: Math.floor(payment.paidAt / 1000),
        pay_time: Math.floor(payment.paidAt / 1000),
        order_state: stateOf(payment, record),
        in_complaint: false,
        shipping: last
          ? {
              delivery_mode: last.deliveryMode,
              logistics_type: last.logisticsType,
              finish_shipping: true,
              goods_desc: last.shippingList.map((i) => i.item_desc).join(';'),
              finish_shipping_count: record.uploads.length - 1,
              shipping_list: last.shippingList.map((i) => ({ tracking_no: i.tracking_no, express_company: i.express_company, upload_time: Math.floor(last.at / 1000) })),
            }
          : undefined,
      },
    });
  }

  /**
   * The payer in WeChat's 确认收货 component (wx.openBusinessView weappOrderConfirm): confirming works
   * only for the payer, and only while the order is 已发货; cancel changes nothing.
   */
  function receiptComponent(extraData: Record<string, unknown>, openid: string, outcome: 'confirm' | 'cancel'): ReceiptComponentResult {
    const req_extradata = { ...extraData };
    let key: Key | undefined;
    if (isText(extraData.transaction_id)) key = { transactionId: extraData.transaction_id };
    else if (isText(extraData.merchant_id) && isText(extraData.merchant_trade_no)) key = { mchid: extraData.merchant_id, outTradeNo: extraData.merchant_trade_no };
    const found = key && lookup(key);
    if (!found) return { status: 'fail', errormsg: '订单不存在', req_extradata };
    if (found.payment.openid !== openid) return { status: 'fail', errormsg: '非订单支付用户', req_extradata };
    if (outcome === 'cancel') return { status: 'cancel', req_extradata };
    if (stateOf(found.payment, found.record) !== 2) return { status: 'fail', errormsg: '订单当前状态不可确认收货', req_extradata };
    found.record.state = 3;
    found.record.confirmedAt = now();
    save();
    return { status: 'success', req_extradata };
  }

  return {
    uploadShippingInfo,
    getOrder,
    receiptComponent,
    /** Every payment the emulator has seen, with its state now. */
    list(): (ShippingRecord & { orderState: ShippingOrderState })[] {
      return [...records.values()].map((r) => {
        const p = opts.findPayment({ transactionId: r.transactionId });
        return { ...r, orderState: p ? stateOf(p, r) : r.state };
      });
    },
  };
}

export type ShippingEmulator = ReturnType<typeof createShippingEmulator>;

/** The sandbox's wiring of an emulated payment to the shipping emulator (WeChat Pay v3 and v2 only). */
export function paidPaymentOf(p: { mchid: string; outTradeNo: string; transactionId?: string; openid?: string; amountFen: number; description: string; paidAt?: number; status: string }, refundedInFull: boolean): EmulatedPaidPayment | undefined {
  if (p.status !== 'PAID' && !refundedInFull) return undefined;
  if (!p.transactionId || !p.openid) return undefined;
  return { mchid: p.mchid, outTradeNo: p.outTradeNo, transactionId: p.transactionId, openid: p.openid, amountFen: p.amountFen, description: p.description, paidAt: p.paidAt ?? 0, refundedInFull };
}
