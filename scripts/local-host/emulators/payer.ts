import { EmulatorRefusal, type EmulatedPayment, type PayerOutcome } from './types';

/**
 * The payer acting on a payment in their wallet, the same at every provider: a paid or closed payment
 * cannot be acted on, an expired one cannot be paid, a cancel leaves it waiting. Returns the payment
 * time when it is now PAID (the provider owes the merchant a notification), else undefined.
 */
export function applyPayerOutcome(p: EmulatedPayment, outcome: PayerOutcome, now: number): number | undefined {
  if (p.status === 'PAID') throw new EmulatorRefusal('该订单已支付', 409);
  if (p.status === 'CLOSED') throw new EmulatorRefusal('该订单已关闭', 409);
  if (outcome !== 'cancel' && p.expiresAt !== undefined && now >= p.expiresAt) throw new EmulatorRefusal('该订单已过期', 409);
  p.lastOutcome = outcome;
  if (outcome === 'cancel') return undefined;
  if (outcome === 'fail') {
    p.status = 'FAILED';
    return undefined;
  }
  p.status = 'PAID';
  // Providers state payment times in whole seconds: keep paidAt equal to what the notification says.
  p.paidAt = Math.floor(now / 1000) * 1000;
  return p.paidAt;
}
