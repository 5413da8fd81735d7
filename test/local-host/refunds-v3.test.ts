import { describeWxPayRefundsThroughClient } from './refunds-through-client';

describeWxPayRefundsThroughClient('v3');
