import { describeWxPayRefundsThroughClient } from './refunds-through-client';

describeWxPayRefundsThroughClient('v2');
