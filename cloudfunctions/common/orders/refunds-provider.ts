import type { RefundApplication, RefundReport } from '../payment/refund';
import type { OrderContext } from './context';
import type { OrderDoc } from './model';

/**
 * What the refund life cycle needs from the provider an order was paid with. The provider's answer to
 * an application only means "accepted" (or already decided): the life cycle applies it like any report.
 */
export interface RefundProvider {
  /** Why this deployment cannot refund `amountFen` of a `totalFen` payment (checked before anything is written). */
  refundUnavailable(amountFen: number, totalFen: number): string | undefined;
  /** Applies for the refund; the same outRefundNo and parameters on every retry. Throws ProviderError. */
  apply(app: RefundApplication): Promise<RefundReport>;
  /** The provider's statement about the refund; undefined when it has no refund of that number. */
  query(app: RefundApplication): Promise<RefundReport | undefined>;
}

/** The refund side of the provider that took the order's payment; undefined when it is not configured here. */
export function refundProviderFor(ctx: OrderContext, order: OrderDoc): RefundProvider | undefined {
  return ctx.refunds?.(order);
}
