import { describeWxPayFlows } from './checkout-flow';

describeWxPayFlows('WeChat Pay API v2, MD5', { WXPAY_API_VERSION: 'v2', WXPAY_V2_SIGN_TYPE: 'MD5' });
