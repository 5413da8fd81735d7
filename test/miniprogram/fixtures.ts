/** Orders and payment data shaped like the checkout function's answers. */
import type { Order, OrderStatus, RequestPaymentParams } from '../../typings/checkout';

export function order(status: OrderStatus = 'PENDING', patch: Partial<Order> = {}): Order {
  return {
    orderId: 'o1',
    outTradeNo: 'T20240501000001',
    status,
    amountFen: 2980,
    items: [
      { skuId: 'tea', name: '绿茶', priceFen: 1990, quantity: 1, subtotalFen: 1990 },
      { skuId: 'cup', name: '茶杯', priceFen: 990, quantity: 1, subtotalFen: 990 },
    ],
    createdAt: Date.UTC(2024, 4, 1, 5, 0),
    expiresAt: Date.UTC(2024, 4, 1, 5, 30),
    ...patch,
  };
}

export const payment: RequestPaymentParams = {
  timeStamp: '1714539600',
  nonceStr: 'n0nce',
  package: 'prepay_id=wx0112345',
  signType: 'RSA',
  paySign: 'c2lnbmF0dXJl',
};

export const FAST_POLL = { firstDelayMs: 5, factor: 2, maxDelayMs: 20, deadlineMs: 2000 };
