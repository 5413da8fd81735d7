import type { WxPayV2Config } from '../../config';
import type { ProviderRegistration } from '../../payment/providers';

export const wxpayV2Registration: ProviderRegistration = {
  name: 'wxpay-v2',
  label: 'WeChat Pay',
  methods: ['wechat', 'native'],
  configured: (config) => config.wxpay?.version === 'v2',
  // XML, possibly after a byte-order mark or an <?xml …?> prolog.
  recognises: (req) => /^\uFEFF?\s*(<\?xml[^>]*\?>\s*)?<xml[\s>]/.test(req.rawBody.toString('utf8', 0, 128)),
  load(config, options) {
    // Required on first use (see payment/providers.ts): a v3 or PAYJS deployment never evaluates the XML library.
    const { createWxPayV2Provider } = require('./provider') as typeof import('./provider');
    return createWxPayV2Provider(config.wxpay as WxPayV2Config, options);
  },
};
