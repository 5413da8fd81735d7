/**
 * Staff: an order's fulfilment and the 发货 form (logistics, tracking number and carrier for express),
 * calling the merchant function's `ship`. Emits `change` with the shipped order. The server checks
 * everything again; this only saves a round trip for what it would refuse.
 */
import { callMerchant, staffErrorMessage } from '../../../services/merchant-api';
import { LOGISTICS, type ShipView } from '../../utils/ship-view';

Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    view: { type: Object, value: {} },
  },
  data: {
    open: false,
    labels: LOGISTICS.map((l) => l.label),
    index: 0,
    trackingNo: '',
    expressCompany: '',
    submitting: false,
    error: '',
  },
  methods: {
    onOpen() {
      this.setData({ open: true, error: '' });
    },
    onClose() {
      this.setData({ open: false, error: '' });
    },
    onLogistics(e: WechatMiniprogram.PickerChange) {
      this.setData({ index: Number(e.detail.value) });
    },
    onTracking(e: WechatMiniprogram.Input) {
      this.setData({ trackingNo: e.detail.value });
    },
    onCompany(e: WechatMiniprogram.Input) {
      this.setData({ expressCompany: e.detail.value });
    },
    async onSubmit() {
      const view = this.data.view as unknown as ShipView | null;
      if (this.data.submitting || !view?.orderId) return;
      const logistics = LOGISTICS[this.data.index].value;
      const trackingNo = this.data.trackingNo.trim();
      const expressCompany = this.data.expressCompany.trim().toUpperCase();
      if (logistics === 'EXPRESS' && (!trackingNo || !expressCompany)) return this.setData({ error: '快递发货需填写快递单号和快递公司编码（如 SF、ZTO）' });
      this.setData({ submitting: true, error: '' });
      try {
        const { order } = await callMerchant<'ship'>(
          logistics === 'EXPRESS' ? { action: 'ship', orderId: view.orderId, logistics, trackingNo, expressCompany } : { action: 'ship', orderId: view.orderId, logistics },
        );
        this.setData({ submitting: false, open: false, trackingNo: '', expressCompany: '' });
        this.triggerEvent('change', { order });
      } catch (err) {
        this.setData({ submitting: false, error: staffErrorMessage(err) });
      }
    },
  },
});
