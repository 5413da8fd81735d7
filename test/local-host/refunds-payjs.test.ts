import { describePayjsRefundThroughClient } from './refunds-through-client';

describePayjsRefundThroughClient();
