import type { WxPayV3Config } from '../../config';
import type { ProviderOptions } from '../../payment/providers';
import { WxPayProvider } from '../provider';
import { WxPayV3Gateway } from './gateway';

/** WeChat Pay API v3 as a PaymentProvider. */
export function createWxPayV3Provider(config: WxPayV3Config, options: ProviderOptions): WxPayProvider {
  return new WxPayProvider(new WxPayV3Gateway(config, options), config);
}
