import { ProviderError } from '../errors';
import type { PaymentProvider } from '../payment/provider';
import type { RefundApplication, RefundReport } from '../payment/refund';
import type { OrderContext } from './context';
import type { OrderDoc } from './model';

/**
 * The refund side of the provider an order was paid with, as the life cycle uses it. The provider's
 * answer to an application only means "accepted" (or already decided): it is applied like any report.
 */
export interface RefundProvider {
  /**
   * Applies for the refund; the same outRefundNo and parameters on every retry. Throws ProviderError,
   * or REFUND_UNAVAILABLE (an AppError) when it cannot take it and sent nothing.
   */
  apply(app: RefundApplication): Promise<RefundReport>;
  /** The provider's statement about the refund; undefined when it has no refund of that number. */
  query(app: RefundApplication): Promise<RefundReport | undefined>;
}

/** How the providers say "no refund of that number" (v3 RESOURCE_NOT_EXISTS, v2 REFUNDNOTEXIST). */
const NOT_FOUND = /^(RESOURCE_NOT_EXISTS|REFUNDNOTEXIST|NOT_FOUND)$/;

function adapt(p: PaymentProvider): RefundProvider {
  return {
    apply: (app) => p.refund(app),
    query: async (app) => {
      try {
        return await p.queryRefund({ outTradeNo: app.outTradeNo, outRefundNo: app.outRefundNo, amountFen: app.amountFen, totalFen: app.totalFen, providerOrderId: app.providerOrderId });
      } catch (err) {
        if (err instanceof ProviderError && NOT_FOUND.test(err.providerCode ?? '')) return undefined;
        throw err;
      }
    },
  };
}

/** Undefined when the order's provider is not configured on this deployment (or it was never paid). */
export function refundProviderFor(ctx: OrderContext, order: OrderDoc): RefundProvider | undefined {
  const provider = ctx.providers.forOrder(order);
  return provider && adapt(provider);
}
