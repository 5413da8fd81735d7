/** Scan-to-pay: draws the Native code_url as a QR code and polls while visible. */
import { ComponentWithStore } from 'mobx-miniprogram-bindings';
// A CommonJS module: DevTools compiles with Babel, whose interop makes the default import its exports.
import drawQrcode from 'weapp-qrcode';
import { confirmingPageMethods } from '../confirming-page';
import { config } from '../../config';
import { checkout, type CheckoutPhase } from '../stores/checkout';

const QR_CANVAS_ID = 'pay-qr';
const QR_SIZE = 200;

ComponentWithStore({
  data: {
    localMode: config.mode === 'local',
    qrSize: QR_SIZE,
  },
  storeBindings: {
    store: checkout,
    fields: { phase: 'phase', amountText: 'amountText', notice: 'notice', polling: 'polling', errorMessage: 'errorMessage' },
    actions: {},
  },
  observers: {
    phase(phase: CheckoutPhase) {
      // Every final state is explained on the result page.
      if ((phase === 'paid' || phase === 'expired' || phase === 'cancelled') && checkout.order) {
        wx.redirectTo({ url: `/pay/result/index?orderId=${checkout.order.orderId}` });
      }
    },
  },
  methods: {
    ...confirmingPageMethods,

    onReady() {
      // The legacy canvas can only be drawn once laid out; `_this` scopes the canvas id to this page.
      if (checkout.codeUrl) drawQrcode({ canvasId: QR_CANVAS_ID, _this: this, text: checkout.codeUrl, width: QR_SIZE, height: QR_SIZE });
    },

    onSimulateScan() {
      void checkout.simulateScan();
    },
  },
});
