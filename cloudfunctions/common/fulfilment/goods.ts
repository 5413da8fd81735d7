import type { FulfilmentHook } from './hook';

/**
 * Physical goods, the default type: nothing happens by itself. The merchant packs and sends the order,
 * then records the shipping with the merchant function's `ship` action. Put code that must run once
 * per paid order (telling a warehouse, printing a packing slip) in `run`.
 */
export const goods: FulfilmentHook = {
  type: 'goods',
  async run() {
    // Nothing to do until the merchant ships.
  },
};
