import type { ProviderRegistration } from '../payment/providers';

export const payjsRegistration: ProviderRegistration = {
  name: 'payjs',
  label: 'PAYJS',
  methods: ['payjs'],
  configured: (config) => config.payjs !== undefined,
  // PAYJS notifies with a form POST.
  recognises: (req) => (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded'),
  load(config, options) {
    // Required on first use (see payment/providers.ts).
    const { PayjsProvider } = require('./provider') as typeof import('./provider');
    return new PayjsProvider(config.payjs!, options);
  },
};
