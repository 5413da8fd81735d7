import type { WxPayV3Config } from '../../config';
import type { ProviderRegistration } from '../../payment/providers';

export const wxpayV3Registration: ProviderRegistration = {
  name: 'wxpay-v3',
  label: 'WeChat Pay',
  methods: ['wechat', 'native'],
  configured: (config) => config.wxpay?.version === 'v3',
  // Every v3 notification is signed in these headers.
  recognises: (req) => req.headers['wechatpay-signature'] !== undefined,
  load(config, options) {
    // Required on first use (see payment/providers.ts).
    const { createWxPayV3Provider } = require('./provider') as typeof import('./provider');
    return createWxPayV3Provider(config.wxpay as WxPayV3Config, options);
  },
};
