import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Shipping } from '../../typings/checkout';
import { ShippingService, ShippingUploadError } from '../../cloudfunctions/common/shipping/service';
import { buildUpload, describeItems } from '../../cloudfunctions/common/shipping/upload';
import { toRfc3339BeijingMs } from '../../cloudfunctions/common/time';
import { openapi, useOpenApi } from '../../scripts/local-host/wx-server-sdk';

const ROOT = path.resolve(__dirname, '..', '..');

describe('the upload to 发货信息管理', () => {
  const express: Shipping = { logistics: 'EXPRESS', trackingNo: 'SF100', expressCompany: 'SF', itemDesc: '咖啡豆*2', upload: 'UPLOADED' };

  it('formats upload_time as RFC 3339 with milliseconds in Beijing time', () => {
    expect(toRfc3339BeijingMs(Date.UTC(2022, 11, 15, 5, 29, 35, 120))).toBe('2022-12-15T13:29:35.120+08:00');
    expect(toRfc3339BeijingMs(Date.UTC(2022, 11, 31, 16, 0, 0, 5))).toBe('2023-01-01T00:00:00.005+08:00');
  });

  it('names the payment by transaction id when known, else by mchid + out_trade_no, with the payer', () => {
    const now = Date.UTC(2026, 11, 1, 4, 0, 0, 0);
    const byTx = buildUpload({ outTradeNo: 'T1', transactionId: '4200001', openid: 'payer' }, express, '1900000109', now);
    expect(byTx).toEqual({
      order_key: { order_number_type: 2, transaction_id: '4200001' },
      logistics_type: 1,
      delivery_mode: 1,
      shipping_list: [{ tracking_no: 'SF100', express_company: 'SF', item_desc: '咖啡豆*2' }],
      upload_time: '2026-12-01T12:00:00.000+08:00',
      payer: { openid: 'payer' },
    });
    const byNo = buildUpload({ outTradeNo: 'T1', openid: 'payer' }, { logistics: 'VIRTUAL', itemDesc: 'x', upload: 'UPLOADED' }, '1900000109', now);
    expect(byNo.order_key).toEqual({ order_number_type: 1, mchid: '1900000109', out_trade_no: 'T1' });
    expect(byNo.logistics_type).toBe(3);
    expect(byNo.shipping_list).toEqual([{ item_desc: 'x' }]);
  });

  it('describes items within 120 characters', () => {
    expect(describeItems([{ name: '杯', quantity: 2 }, { name: '豆', quantity: 1 }])).toBe('杯*2；豆*1');
    expect([...describeItems([{ name: '长'.repeat(200), quantity: 1 }])]).toHaveLength(120);
  });

  it('turns errcode ≠ 0 into SHIPPING_UPLOAD_FAILED with the code in the log, however the SDK reports it', async () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const answering = (answer: Record<string, unknown>) => ({ wxa: { sec: { order: { uploadShippingInfo: async () => answer, getOrder: async () => answer } } } });
    const refused = await new ShippingService(answering({ errcode: 10060001, errmsg: '支付单不存在' })).upload({} as never).catch((e) => e);
    expect(refused).toBeInstanceOf(ShippingUploadError);
    expect(refused).toMatchObject({ code: 'SHIPPING_UPLOAD_FAILED', errcode: 10060001 });
    // The stand-in, like wx-server-sdk, rejects with errCode / errMsg.
    useOpenApi({ uploadShippingInfo: () => ({ errcode: 10060031, errmsg: '该笔支付单不属于 openid 所指定的用户' }), getOrder: () => ({ errcode: 0, order: { order_state: 9 } }) });
    const thrown = await new ShippingService(openapi as never).upload({} as never).catch((e) => e);
    expect(thrown).toMatchObject({ code: 'SHIPPING_UPLOAD_FAILED', errcode: 10060031 });
    expect(error.mock.calls.some((c) => JSON.stringify(c).includes('10060031'))).toBe(true);
    // An answer without a known order_state is not taken for one.
    expect(await new ShippingService(openapi as never).orderState({ transaction_id: '1' }).catch((e) => e.code)).toBe('SHIPPING_UPLOAD_FAILED');
    useOpenApi(undefined);
    expect(await new ShippingService(openapi as never).orderState({ transaction_id: '1' }).catch((e) => e.code)).toBe('SHIPPING_UPLOAD_FAILED');
    expect(await new ShippingService(answering({ errcode: 0, errmsg: 'ok' })).upload({} as never)).toBeUndefined();
  });

  it('every function that calls cloud.openapi declares the permissions in its config.json', () => {
    const functions = fs.readdirSync(path.join(ROOT, 'cloudfunctions')).filter((f) => fs.existsSync(path.join(ROOT, 'cloudfunctions', f, 'config.json')));
    const users = functions.filter((f) => fs.readFileSync(path.join(ROOT, 'cloudfunctions', f, 'src', 'index.ts'), 'utf8').includes('cloud.openapi'));
    expect(users.sort()).toEqual(['checkout', 'merchant', 'payNotify']);
    for (const f of users) {
      const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'cloudfunctions', f, 'config.json'), 'utf8'));
      expect(config.permissions.openapi).toEqual(expect.arrayContaining(['wxa.sec.order.uploadShippingInfo', 'wxa.sec.order.getOrder']));
    }
  });
});
