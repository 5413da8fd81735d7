import type { FulfilmentType, Logistics, OrderItem } from '../../../typings/checkout';
import type { Database } from '../db/types';

/**
 * What happens to a paid order, per product type. One module per type (goods.ts, virtual.ts,
 * membership.ts), registered in registry.ts. A hook may be called again for the same order after a
 * failure or a crash, so it must be idempotent: `orderId` is its idempotency key.
 */

export interface HookInput {
  /** The idempotency key: the same order gets the same key on every attempt. */
  orderId: string;
  /** The payer. */
  openid: string;
  /** The order's lines of this hook's type. */
  items: OrderItem[];
  paidAt: number;
}

export interface HookContext {
  db: Database;
  now(): number;
}

export interface FulfilmentHook {
  type: FulfilmentType;
  /**
   * Set when this type needs no one to send anything: an order made only of such types is marked
   * shipped (and uploaded to 发货信息管理) with this logistics as soon as its hooks have run.
   */
  shipsAtOnce?: Logistics;
  run(ctx: HookContext, input: HookInput): Promise<void>;
}
