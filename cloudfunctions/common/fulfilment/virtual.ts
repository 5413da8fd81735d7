import type { FulfilmentHook } from './hook';

/**
 * Virtual goods (a top-up, a code, a download): delivered by the shop itself, so the order is marked
 * shipped at once as WeChat's logistics type 3 (虚拟商品). Put the delivery (sending the code, crediting
 * the balance) in `run`, keyed by `orderId` so a second attempt does not deliver twice.
 */
export const virtual: FulfilmentHook = {
  type: 'virtual',
  shipsAtOnce: 'VIRTUAL',
  async run() {
    // The template's virtual product needs no delivery beyond the shipping record.
  },
};
