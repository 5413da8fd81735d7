import type { Config } from '../config';
import type { Database } from '../db/types';
import type { Trade } from '../payment/provider';
import type { Providers } from '../payment/providers';
import type { ShippingService } from '../shipping/service';
import { describeOrder, providerOrderIdOf, type OrderDoc } from './model';
import type { OrderRepository } from './repository';

/** What the order operations work with; built once per function instance. */
export interface OrderContext {
  db: Database;
  repo: OrderRepository;
  config: Config;
  /** The configured payment providers (see payment/providers.ts). */
  providers: Providers;
  /** WeChat's 发货信息管理 (cloud.openapi), where the function has it. */
  shipping?: ShippingService;
  now(): number;
}

/** What a provider is told about an order's trade. */
export function tradeOf(order: OrderDoc): Trade {
  const trade: Trade = { outTradeNo: order.outTradeNo, amountFen: order.amountFen, description: describeOrder(order), expiresAt: order.expiresAt };
  const id = providerOrderIdOf(order);
  if (id !== undefined) trade.providerOrderId = id;
  return trade;
}
