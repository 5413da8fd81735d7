import type { Config } from '../config';
import type { Database } from '../db/types';
import type { WxPayGateway } from '../payment/gateway';
import type { PayjsClient } from '../payjs/client';
import type { ShippingService } from '../shipping/service';
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
  /** WeChat's 发货信息管理 (cloud.openapi), where the function has it. */
  shipping?: ShippingService;
  now(): number;
}
