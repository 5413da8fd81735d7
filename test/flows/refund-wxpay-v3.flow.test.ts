import { describeWxPayRefunds } from './refund-flow';

describeWxPayRefunds('WeChat Pay API v3', { WXPAY_API_VERSION: 'v3' });
