/**
 * What every page that waits for a payment does: ask the server while visible, stop when hidden or
 * gone. Spread into a page's `methods` (ComponentWithStore's typings have no `behaviors`).
 */
import { checkout } from './stores/checkout';

export const confirmingPageMethods = {
  onShow(this: object) {
    // Also the return from PAYJS: the store then starts asking the server.
    checkout.onPayingPageShow(this);
  },

  onHide(this: object) {
    checkout.onPayingPageHide(this);
  },

  onUnload(this: object) {
    checkout.onPayingPageHide(this);
  },

  onRequery() {
    void checkout.confirm();
  },
};
