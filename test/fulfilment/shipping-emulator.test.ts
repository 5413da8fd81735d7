import { createShippingEmulator, type EmulatedPaidPayment } from '../../scripts/local-host/emulators/shipping';
import type { UploadShippingInfoBody } from '../../cloudfunctions/common/shipping/openapi';

/** The 发货信息管理 emulator on its own: what the platform refuses, and the order_state it reports. */
describe('the 发货信息管理 emulator', () => {
  const paid: EmulatedPaidPayment = {
    mchid: '1900000109',
    outTradeNo: 'T20261201000001',
    transactionId: '4200000000202612010000000001',
    openid: 'payer-openid',
    amountFen: 6800,
    description: '咖啡豆',
    paidAt: Date.parse('2026-12-01T10:00:00+08:00'),
    refundedInFull: false,
  };
  let payments: EmulatedPaidPayment[];
  let clock: number;
  const emu = () =>
    createShippingEmulator({
      findPayment: (k) => payments.find((p) => ('transactionId' in k ? p.transactionId === k.transactionId : p.mchid === k.mchid && p.outTradeNo === k.outTradeNo)),
      now: () => clock,
    });
  beforeEach(() => {
    payments = [{ ...paid }];
    clock = Date.parse('2026-12-01T12:00:00+08:00');
  });

  const body = (over: Partial<UploadShippingInfoBody> = {}, item: Record<string, unknown> = {}): UploadShippingInfoBody => ({
    order_key: { order_number_type: 2, transaction_id: paid.transactionId },
    logistics_type: 1,
    delivery_mode: 1,
    shipping_list: [{ tracking_no: 'SF100', express_company: 'SF', item_desc: '咖啡豆*1', ...item }],
    upload_time: '2026-12-01T12:00:00.120+08:00',
    payer: { openid: paid.openid },
    ...over,
  });
  const state = (e: ReturnType<typeof emu>) => (e.getOrder({ transaction_id: paid.transactionId }).order as { order_state: number }).order_state;

  it('ships a paid payment by transaction id or by mchid + out_trade_no, 1 → 2', () => {
    const e = emu();
    expect(state(e)).toBe(1);
    expect(e.uploadShippingInfo(body({ order_key: { order_number_type: 1, mchid: paid.mchid, out_trade_no: paid.outTradeNo } }))).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(state(e)).toBe(2);
    expect(e.getOrder({ merchant_id: paid.mchid, merchant_trade_no: paid.outTradeNo })).toMatchObject({ errcode: 0, order: { order_state: 2, shipping: { logistics_type: 1, finish_shipping_count: 0 } } });
  });

  it('refuses what the platform refuses', () => {
    const e = emu();
    const code = (b: unknown) => e.uploadShippingInfo(b).errcode;
    expect(code(body({ order_key: { order_number_type: 2, transaction_id: '4200999' } }))).toBe(10060001);
    expect(code(body({ payer: { openid: 'someone-else' } }))).toBe(10060031);
    expect(code(body({}, { tracking_no: undefined }))).toBe(10060014);
    expect(code(body({}, { express_company: undefined }))).toBe(10060014);
    expect(code(body({}, { item_desc: '' }))).toBe(10060008);
    expect(code(body({}, { item_desc: '字'.repeat(121) }))).toBe(10060009);
    expect(code(body({ logistics_type: 5 as never }))).toBe(10060005);
    expect(code(body({ delivery_mode: 3 as never }))).toBe(268485224);
    expect(code(body({ shipping_list: [] }))).toBe(10060024);
    expect(code(body({ shipping_list: [{ item_desc: 'a', tracking_no: '1', express_company: 'SF' }, { item_desc: 'b', tracking_no: '2', express_company: 'SF' }] }))).toBe(268485228);
    expect(code(body({ delivery_mode: 2, logistics_type: 4 }, { tracking_no: undefined, express_company: undefined }))).toBe(10060006);
    expect(code(body({ delivery_mode: 2 }))).toBe(10060007);
    expect(code(body({ upload_time: '2026-12-01 12:00:00' }))).toBe(268485216);
    expect(code({ order_key: { order_number_type: 2, transaction_id: paid.transactionId } })).toBe(47001);
    // None of these shipped anything.
    expect(state(e)).toBe(1);
    // Virtual goods need no tracking number.
    expect(code(body({ logistics_type: 3 }, { tracking_no: undefined, express_company: undefined }))).toBe(0);
  });

  it('allows one re-shipping, with a later upload_time, and refuses a third', () => {
    const e = emu();
    expect(e.uploadShippingInfo(body()).errcode).toBe(0);
    expect(e.uploadShippingInfo(body({ upload_time: '2026-12-01T11:00:00.000+08:00' })).errcode).toBe(268485216);
    expect(e.uploadShippingInfo(body({ upload_time: '2026-12-01T13:00:00.000+08:00' }, { tracking_no: 'SF200' })).errcode).toBe(0);
    expect(e.getOrder({ transaction_id: paid.transactionId }).order).toMatchObject({ shipping: { finish_shipping_count: 1, shipping_list: [{ tracking_no: 'SF200' }] } });
    expect(e.uploadShippingInfo(body({ upload_time: '2026-12-01T14:00:00.000+08:00' })).errcode).toBe(10060003);
  });

  it('the payer confirms receipt in the component only while shipped; received and refunded cannot be shipped', () => {
    const e = emu();
    const extra = { transaction_id: paid.transactionId };
    expect(e.receiptComponent(extra, paid.openid, 'confirm')).toMatchObject({ status: 'fail' });
    e.uploadShippingInfo(body());
    expect(e.receiptComponent(extra, 'someone-else', 'confirm')).toMatchObject({ status: 'fail' });
    expect(e.receiptComponent(extra, paid.openid, 'cancel')).toEqual({ status: 'cancel', req_extradata: extra });
    expect(state(e)).toBe(2);
    expect(e.receiptComponent(extra, paid.openid, 'confirm')).toEqual({ status: 'success', req_extradata: extra });
    expect(state(e)).toBe(3);
    expect(e.uploadShippingInfo(body({ upload_time: '2026-12-01T13:00:00.000+08:00' })).errcode).toBe(10060004);
    payments[0].refundedInFull = true;
    expect(state(e)).toBe(5);
  });

  it('keeps its records in the state store across restarts', () => {
    let saved: unknown[] = [];
    const store = { load: (read: (x: unknown) => never) => (saved.length ? saved.map(read) : undefined), save: (r: unknown[]) => (saved = JSON.parse(JSON.stringify(r))) };
    const find = (k: { transactionId: string } | { mchid: string; outTradeNo: string }) => ('transactionId' in k && k.transactionId === paid.transactionId ? payments[0] : undefined);
    const first = createShippingEmulator({ findPayment: find, store: store as never, now: () => clock });
    first.uploadShippingInfo(body());
    const second = createShippingEmulator({ findPayment: find, store: store as never, now: () => clock });
    expect(second.list()).toEqual([expect.objectContaining({ transactionId: paid.transactionId, orderState: 2, uploads: [expect.objectContaining({ logisticsType: 1 })] })]);
  });
});
