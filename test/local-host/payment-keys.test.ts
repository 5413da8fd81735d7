import { readSavedPayment, SavedRecord } from '../../scripts/local-host/emulators/saved-record';
import type { EmulatedPayment } from '../../scripts/local-host/emulators/types';

/** The sandbox finds WeChat Pay payments by prepay_id and code_url through their id: a saved state keeps that true. */
describe('saved payments keep the keys they are found by', () => {
  const saved = (over: Partial<EmulatedPayment>) =>
    SavedRecord.of({ provider: 'wxpay-v3', outTradeNo: 'O1', mchid: 'm1', amountFen: 1, status: 'WAITING', createdAt: 1, deliveries: [], ...over });

  test('a JSAPI payment is its prepay_id; a Native one is named in its code_url', () => {
    expect(readSavedPayment(saved({ id: 'wx1', tradeType: 'JSAPI', prepayId: 'wx1' }), 'wxpay-v3').id).toBe('wx1');
    expect(readSavedPayment(saved({ id: 'tok', tradeType: 'NATIVE', codeUrl: 'weixin://wxpay/bizpayurl?pr=tok' }), 'wxpay-v3').id).toBe('tok');
    expect(() => readSavedPayment(saved({ id: 'wx1', tradeType: 'JSAPI', prepayId: 'wx2' }), 'wxpay-v3')).toThrow(/prepayId is not its id/);
    expect(() => readSavedPayment(saved({ id: 'tok', tradeType: 'NATIVE', codeUrl: 'weixin://wxpay/bizpayurl?pr=other' }), 'wxpay-v3')).toThrow(/codeUrl does not name its id/);
  });
});
