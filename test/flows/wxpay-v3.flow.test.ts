import { describeWxPayFlows } from './checkout-flow';

describeWxPayFlows('WeChat Pay API v3', { WXPAY_API_VERSION: 'v3' });
