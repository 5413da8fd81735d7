import type { EmulatedPayment } from './types';

/**
 * How a WeChat Pay emulator finds a payment by what the payer's client holds, by the key its records
 * are kept under (the payment id, also the state file's key): a JSAPI payment's id is its prepay_id
 * and a Native one's is the `pr` of its code_url, both made so when the order is placed and checked
 * when a saved record is read back (saved-record.ts).
 */

export const codeUrlOf = (id: string): string => `weixin://wxpay/bizpayurl?pr=${id}`;

const CODE_URL = /^weixin:\/\/wxpay\/bizpayurl\?pr=([^&#]+)$/;

export function paymentLookups(byId: ReadonlyMap<string, { payment: EmulatedPayment }>): {
  findPayment(id: string): EmulatedPayment | undefined;
  findByPrepayId(prepayId: string): EmulatedPayment | undefined;
  findByCodeUrl(codeUrl: string): EmulatedPayment | undefined;
} {
  const findPayment = (id: string) => byId.get(id)?.payment;
  return {
    findPayment,
    findByPrepayId(prepayId) {
      const p = findPayment(prepayId);
      return p?.tradeType === 'JSAPI' && p.prepayId === prepayId ? p : undefined;
    },
    findByCodeUrl(codeUrl) {
      const id = CODE_URL.exec(codeUrl)?.[1];
      const p = id === undefined ? undefined : findPayment(id);
      return p?.tradeType === 'NATIVE' && p.codeUrl === codeUrl ? p : undefined;
    },
  };
}
