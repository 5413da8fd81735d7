import type { WxPayV2Config } from '../../config';
import type { ProviderOptions } from '../../payment/providers';
import { WxPayProvider } from '../provider';
import { WxPayV2Gateway } from './gateway';

/** WeChat Pay API v2 as a PaymentProvider. Loaded on first use only: it brings the XML library. */
export function createWxPayV2Provider(config: WxPayV2Config, options: ProviderOptions): WxPayProvider {
  return new WxPayProvider(new WxPayV2Gateway(config, options), config);
}
