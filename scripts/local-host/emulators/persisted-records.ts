import type { StateStore } from './state-file';
import type { EmulatedPayment } from './types';

/** What every emulator keeps per trade: the payment plus its own protocol details. */
export interface PaymentRecord {
  payment: EmulatedPayment;
}

export interface PersistedRecords<R extends PaymentRecord> {
  /** The records saved by the previous run (empty without a store or a saved state). */
  restored: R[];
  /**
   * Saves now; call after each change of state (and after each notification attempt). Naming the
   * records that changed writes only those; without, every record is compared with what was saved.
   */
  save(...changed: R[]): void;
}

/**
 * An emulator's records kept in an optional StateStore: restored once at creation (a payment id or
 * out_trade_no saved twice is refused, since one of them would be dropped), saved after each change.
 */
export function persistRecords<R extends PaymentRecord>(
  store: StateStore<R> | undefined,
  read: (saved: unknown) => R,
  all: () => R[],
): PersistedRecords<R> {
  const save = (...changed: R[]) => store?.save(all(), changed.length > 0 ? changed : undefined);

  const ids = new Set<string>();
  const outTradeNos = new Set<string>();
  const restored =
    store?.load((saved) => {
      const r = read(saved);
      const { id, outTradeNo } = r.payment;
      if (ids.has(id)) throw new Error(`payment id ${id} appears twice`);
      if (outTradeNos.has(outTradeNo)) throw new Error(`out_trade_no ${outTradeNo} appears twice`);
      ids.add(id);
      outTradeNos.add(outTradeNo);
      return r;
    }) ?? [];
  return { restored, save };
}
