import { AppError } from '../../cloudfunctions/common/errors';
import { fulfilmentOnPaid } from '../../cloudfunctions/common/orders/fulfil';
import { confirmReceipt } from '../../cloudfunctions/common/orders/receipt';
import { issueRefund } from '../../cloudfunctions/common/orders/refunds';
import { applyRefundReport } from '../../cloudfunctions/common/orders/refunds-report';
import { shipOrder } from '../../cloudfunctions/common/orders/ship';
import { testContext, type TestContext } from '../merchant/fake-refund-provider';

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof AppError ? e.code : `thrown: ${(e as Error).message}`),
  );

/** A refund to REFUNDED ends fulfilment (in-process database, the merchant tests' fake refund provider). */
describe('a full refund ends fulfilment', () => {
  let t: TestContext;
  beforeEach(() => {
    t = testContext({ SHIPPING_INFO_UPLOAD: 'off' });
  });

  async function refundInFull(orderId: string) {
    const order = (await t.ctx.repo.get(orderId))!;
    const { refund } = await issueRefund(t.ctx, order, { amountFen: order.amountFen, requestId: `r-${orderId.slice(-6)}`, requestedBy: 'merchant' });
    await applyRefundReport(t.ctx, t.provider.settle(refund.outRefundNo, 'SUCCESS'), 'notify');
    return (await t.ctx.repo.get(orderId))!;
  }

  it('an unshipped order refunded in full is ended and cannot be shipped', async () => {
    const paid = await t.paidOrder(1000);
    await t.ctx.repo.updateIf(paid._id, 'PAID', fulfilmentOnPaid(paid, t.clock.now));
    const refunded = await refundInFull(paid._id);
    expect(refunded).toMatchObject({ status: 'REFUNDED', fulfilment: { state: 'UNSHIPPED', endedAt: t.clock.now } });
    expect(await codeOf(shipOrder(t.ctx, refunded, { logistics: 'PICKUP' }))).toBe('NOT_SHIPPABLE');
    expect((await t.ctx.repo.get(paid._id))!.fulfilment).toEqual(refunded.fulfilment);
  });

  it('a partial refund leaves it shippable; a shipped order refunded in full cannot be received', async () => {
    const paid = await t.paidOrder(1000);
    await t.ctx.repo.updateIf(paid._id, 'PAID', fulfilmentOnPaid(paid, t.clock.now));
    const { refund } = await issueRefund(t.ctx, paid, { amountFen: 400, requestId: 'part', requestedBy: 'merchant' });
    await applyRefundReport(t.ctx, t.provider.settle(refund.outRefundNo, 'SUCCESS'), 'notify');
    const shipped = await shipOrder(t.ctx, (await t.ctx.repo.get(paid._id))!, { logistics: 'PICKUP' });
    expect(shipped.fulfilment).toMatchObject({ state: 'SHIPPED', shipping: { logistics: 'PICKUP', upload: 'OFF' } });
    const order = (await t.ctx.repo.get(paid._id))!;
    const { refund: rest } = await issueRefund(t.ctx, order, { amountFen: 600, requestId: 'rest', requestedBy: 'merchant' });
    await applyRefundReport(t.ctx, t.provider.settle(rest.outRefundNo, 'SUCCESS'), 'notify');
    const refunded = (await t.ctx.repo.get(paid._id))!;
    expect(refunded).toMatchObject({ status: 'REFUNDED', fulfilment: { state: 'SHIPPED', endedAt: expect.any(Number) } });
    expect(await codeOf(confirmReceipt(t.ctx, refunded))).toBe('NOT_SHIPPABLE');
    expect(await codeOf(shipOrder(t.ctx, refunded, { logistics: 'VIRTUAL' }))).toBe('NOT_SHIPPABLE');
  });
});
