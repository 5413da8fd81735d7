import { paidPaymentOf, type EmulatedPaidPayment } from './shipping';
import type { Emulator } from './types';

/**
 * The paid WeChat Pay payment a 发货信息管理 key names, from the payment emulators' records. PAYJS is not
 * among them: its payments are made in the PAYJS mini-program, not this one.
 */
export function findPaidPayment(emulators: Emulator[], key: { transactionId: string } | { mchid: string; outTradeNo: string }): EmulatedPaidPayment | undefined {
  for (const e of emulators) {
    const p = e.list().find((x) => ('transactionId' in key ? x.transactionId === key.transactionId : x.mchid === key.mchid && x.outTradeNo === key.outTradeNo));
    if (!p) continue;
    const refunded = e.listRefunds().filter((r) => r.paymentId === p.id && r.status === 'SUCCESS').reduce((n, r) => n + r.amountFen, 0);
    return paidPaymentOf(p, refunded >= p.amountFen);
  }
  return undefined;
}
