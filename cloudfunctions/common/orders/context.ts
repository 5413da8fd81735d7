import type { Config } from '../config';
import type { Database } from '../db/types';
import type { WxPayGateway } from '../payment/gateway';
import type { PayjsClient } from '../payjs/client';
import type { RefundProvider } from './refunds-provider';
import type { OrderDoc } from './model';
import type { OrderRepository } from './repository';

/** What the order operations work with; built once per function instance. */
export interface OrderContext {
  db: Database;
  repo: OrderRepository;
  config: Config;
  /** Present when WeChat Pay is configured. */
  wxpay?: WxPayGateway;
  /** Present when PAYJS is configured. */
  payjs?: PayjsClient;
  /** The refund side of the provider an order was paid with (see refunds-provider.ts). */
  refunds?(order: OrderDoc): RefundProvider | undefined;
  now(): number;
}
