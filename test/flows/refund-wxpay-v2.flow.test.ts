import { describeWxPayRefunds } from './refund-flow';

// v2 refunds go over mutual TLS: the sandbox gives the functions a throwaway client certificate.
describeWxPayRefunds('WeChat Pay API v2 (mutual TLS)', { WXPAY_API_VERSION: 'v2', WXPAY_V2_SIGN_TYPE: 'MD5' });
