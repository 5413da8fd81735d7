import type { Logistics, Shipping } from '../../../typings/checkout';
import { AppError, invalidArgument, ProviderError } from '../errors';
import { buildUpload, describeItems, MAX_ITEM_DESC } from '../shipping/upload';
import type { OrderContext } from './context';
import type { OrderDoc } from './model';

/**
 * Shipping an order: recorded on the order and uploaded to WeChat's 发货信息管理, where the merchant's
 * money stays frozen until the goods are shipped and received. WeChat allows one re-shipping per
 * payment; the same rule holds here, so the order never claims a shipping WeChat would not have.
 */

export interface ShipRequest {
  logistics: Logistics;
  trackingNo?: string;
  expressCompany?: string;
  itemDesc?: string;
}

/** The first shipping plus the one re-shipping WeChat allows. */
export const MAX_SHIPMENTS = 2;
/** How long an upload in progress holds the order; far longer than one openapi call takes. */
const SHIP_LOCK_MS = 30_000;
const WAIT_STEP_MS = 100;

const TRACKING = /^[A-Za-z0-9-]{1,128}$/;
/** get_delivery_list ids are short upper-case codes (SF, ZTO, YTO, JTSD…). */
const EXPRESS_COMPANY = /^[A-Za-z0-9_]{1,32}$/;

/** The shipping as it will be recorded, checked for what its logistics type needs. */
export function shippingFrom(req: ShipRequest, order: Pick<OrderDoc, 'items'>, upload: Shipping['upload']): Shipping {
  const itemDesc = req.itemDesc?.trim() || describeItems(order.items);
  if ([...itemDesc].length > MAX_ITEM_DESC) throw invalidArgument(`itemDesc must be at most ${MAX_ITEM_DESC} characters.`);
  const shipping: Shipping = { logistics: req.logistics, itemDesc, upload };
  if (req.logistics === 'EXPRESS') {
    if (!req.trackingNo || !TRACKING.test(req.trackingNo)) throw invalidArgument('trackingNo is required for EXPRESS: 1–128 letters, digits or -.');
    if (!req.expressCompany || !EXPRESS_COMPANY.test(req.expressCompany)) {
      throw invalidArgument('expressCompany is required for EXPRESS: the carrier code from WeChat\'s get_delivery_list (e.g. SF, ZTO).');
    }
    shipping.trackingNo = req.trackingNo;
    shipping.expressCompany = req.expressCompany;
  } else if (req.trackingNo !== undefined || req.expressCompany !== undefined) {
    throw invalidArgument('trackingNo and expressCompany go only with EXPRESS.');
  }
  return shipping;
}

/** Whether the payment is one this mini-program's 发货信息管理 knows: a WeChat Pay payment, with uploads on. */
function uploadMode(ctx: OrderContext, order: OrderDoc): Shipping['upload'] {
  if (!ctx.config.shippingUpload) return 'OFF';
  // PAYJS payments are made in the PAYJS mini-program, under its merchant: not ours to upload.
  if (order.payment?.provider === 'payjs' || order.payMethod === 'payjs') return 'NOT_WECHAT_PAY';
  return 'UPLOADED';
}

const sameShipping = (a: Shipping | undefined, b: Shipping): boolean =>
  a !== undefined && a.logistics === b.logistics && a.trackingNo === b.trackingNo && a.expressCompany === b.expressCompany && a.itemDesc === b.itemDesc;

function checkShippable(order: OrderDoc): void {
  if (order.status === 'REFUNDED' || order.fulfilment?.endedAt !== undefined) throw new AppError('NOT_SHIPPABLE', 'This order was refunded: there is nothing to ship.');
  if (order.status !== 'PAID') throw new AppError('NOT_SHIPPABLE', 'Only a paid order can be shipped.');
  if (order.fulfilment?.state === 'RECEIVED') throw new AppError('NOT_SHIPPABLE', 'The payer has already confirmed receipt of this order.');
}

async function upload(ctx: OrderContext, order: OrderDoc, shipping: Shipping): Promise<void> {
  if (shipping.upload !== 'UPLOADED') return;
  if (!ctx.shipping || !ctx.config.wxpay) {
    throw new AppError('CONFIG_ERROR', 'Configuration error: SHIPPING_INFO_UPLOAD is on, but this function has no cloud.openapi or WeChat Pay merchant to upload with.');
  }
  const body = buildUpload({ outTradeNo: order.outTradeNo, transactionId: order.transactionId, openid: order._openid }, shipping, ctx.config.wxpay.mchid, ctx.now());
  await ctx.shipping.upload(body);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Records `req` as the order's shipping and uploads it. The same shipping again (a retry after a lost
 * answer) returns the order without a second upload; a different one is the re-shipping, and a third
 * is refused. Concurrent calls are serialised by a claim on the order; a refused upload changes nothing.
 */
export async function shipOrder(ctx: OrderContext, order: OrderDoc, req: ShipRequest, waitMs = 5_000): Promise<OrderDoc> {
  const _ = ctx.db.command;
  const giveUpAt = ctx.now() + waitMs;
  for (;;) {
    checkShippable(order);
    const shipping = shippingFrom(req, order, uploadMode(ctx, order));
    if (sameShipping(order.fulfilment?.shipping, shipping)) return order;
    const count = order.shipState?.count ?? 0;
    if (count >= MAX_SHIPMENTS) throw new AppError('RESHIP_LIMIT_REACHED', 'This order was already shipped and re-shipped once; WeChat allows no further change.');
    const now = ctx.now();
    const unchanged = order.shipState ? { 'shipState.count': count, 'shipState.lockedUntil': _.lte(now) } : { shipState: _.exists(false) };
    const claimed = await ctx.repo.updateIf(order._id, 'PAID', { shipState: _.set({ count, lockedUntil: now + SHIP_LOCK_MS }) } as unknown as Partial<OrderDoc>, unchanged);
    if (claimed) {
      try {
        await upload(ctx, order, shipping);
      } catch (err) {
        await ctx.repo.updateIf(order._id, 'PAID', { shipState: _.set({ count, lockedUntil: 0 }) } as unknown as Partial<OrderDoc>, { 'shipState.count': count });
        throw err;
      }
      if (count > 0) shipping.reshipped = true;
      const fulfilment = { ...order.fulfilment, state: 'SHIPPED' as const, shipping, shippedAt: ctx.now() };
      const recorded = await ctx.repo.updateIf(
        order._id,
        'PAID',
        { fulfilment: _.set(fulfilment), shipState: _.set({ count: count + 1, lockedUntil: 0 }) } as unknown as Partial<OrderDoc>,
        { 'shipState.count': count },
      );
      // Uploaded, but the order left PAID meanwhile (a refund finished): WeChat has it, the order says why not.
      if (!recorded) console.error('[ship] uploaded, but the order changed before it was recorded', order.outTradeNo);
      return (await ctx.repo.get(order._id)) ?? order;
    }
    // Another call is uploading this order: wait for it, then decide again with what it recorded.
    if (ctx.now() >= giveUpAt) throw new ProviderError('Another shipping of this order is being uploaded; try again shortly.', undefined, true);
    await sleep(WAIT_STEP_MS);
    order = (await ctx.repo.get(order._id)) ?? order;
  }
}
