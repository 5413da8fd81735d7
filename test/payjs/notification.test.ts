import type { PayjsConfig } from '../../cloudfunctions/common/config';
import { NotificationRejected, type HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import { payjsAck, payjsReject, readPayjsNotification } from '../../cloudfunctions/common/payjs/notification';
import { payjsReferenceSign } from '../helpers/forge-payjs';
import { signedForm } from './helpers';

const config: PayjsConfig = { mchid: '1230000109', key: 'Zq8s2LkP0vN4xT7w', apiBase: 'https://payjs.cn', notifyUrl: 'https://shop.example/payjs/notify' };

const paid = {
  return_code: '1',
  total_fee: '980',
  out_trade_no: 'ORD20240501A1',
  payjs_order_id: '2024050112000012345678',
  transaction_id: '4200002024050112345678901234',
  time_end: '2024-05-01 12:00:05',
  openid: 'o7LFAwUGpQr6WkLJTxnJnAbCdEfG',
  attach: 'order:42',
  mchid: '1230000109',
};

const request = (rawBody: Buffer, headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }): HttpRequestLike => ({
  method: 'POST',
  path: '/payjs/notify',
  headers,
  rawBody,
});

async function rejection(req: HttpRequestLike): Promise<NotificationRejected> {
  const err = await readPayjsNotification(config, req).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotificationRejected);
  return err as NotificationRejected;
}

describe('readPayjsNotification', () => {
  it('accepts a signed paid notification and reports it', async () => {
    const report = await readPayjsNotification(config, request(signedForm(paid, config.key)));
    expect(report).toEqual({
      outTradeNo: 'ORD20240501A1',
      state: 'SUCCESS',
      mchid: '1230000109',
      amountFen: 980,
      transactionId: '4200002024050112345678901234',
      paidAt: Date.UTC(2024, 4, 1, 4, 0, 5), // 12:00:05 in Beijing is 04:00:05 UTC
      openid: 'o7LFAwUGpQr6WkLJTxnJnAbCdEfG',
      payjsOrderId: '2024050112000012345678',
      attach: 'order:42',
    });
  });

  it('decodes form encoding before verifying (spaces, +, &, Chinese in attach)', async () => {
    const fields = { ...paid, attach: '备注 a+b&c=d' };
    const report = await readPayjsNotification(config, request(signedForm(fields, config.key)));
    expect(report.attach).toBe('备注 a+b&c=d');
  });

  it('accepts a notification with an empty attach (and other falsy fields), signed without them as PAYJS does', async () => {
    const fields = { ...paid, attach: '', coupon_fee: '0' };
    const { attach: _a, coupon_fee: _c, ...truthy } = fields;
    const sign = payjsReferenceSign(truthy, config.key);
    const report = await readPayjsNotification(config, request(signedForm(fields, config.key, sign)));
    expect(report).toMatchObject({ amountFen: 980, attach: undefined });
    // A truthy value added after signing is still caught.
    expect((await rejection(request(signedForm({ ...fields, coupon_fee: '100' }, config.key, sign)))).statusCode).toBe(401);
  });

  it('verifies unknown extra fields as part of the sign', async () => {
    const withType = { ...paid, type: 'alipay' };
    await expect(readPayjsNotification(config, request(signedForm(withType, config.key)))).resolves.toMatchObject({ amountFen: 980 });
    // The same extra field added after signing (a sign computed without it) is refused.
    const rej = await rejection(request(signedForm(withType, config.key, payjsReferenceSign(paid, config.key))));
    expect(rej.statusCode).toBe(401);
  });

  it('refuses a forged sign with 401', async () => {
    const forged = { ...paid, total_fee: '1' };
    const rej = await rejection(request(signedForm(forged, config.key, payjsReferenceSign(paid, config.key))));
    expect(rej.statusCode).toBe(401);
    expect((await rejection(request(signedForm(paid, 'another-key-0000')))).statusCode).toBe(401);
  });

  it('refuses a missing or empty sign with 401', async () => {
    expect((await rejection(request(Buffer.from(new URLSearchParams(paid).toString())))).statusCode).toBe(401);
    expect((await rejection(request(signedForm(paid, config.key, ''))))).toMatchObject({ statusCode: 401, message: 'sign is missing' });
  });

  it('refuses another merchant, even correctly signed with our key, with 401', async () => {
    const rej = await rejection(request(signedForm({ ...paid, mchid: '9999999999' }, config.key)));
    expect(rej).toMatchObject({ statusCode: 401, message: 'mchid is not this merchant' });
  });

  it('refuses return_code other than 1 with 400', async () => {
    for (const return_code of ['0', '', '01']) {
      expect((await rejection(request(signedForm({ ...paid, return_code }, config.key)))).statusCode).toBe(400);
    }
  });

  it('refuses a total_fee that is not a strict whole number of fen with 400', async () => {
    for (const total_fee of ['9.80', '980.0', '1e3', '-980', '0', '0980', ' 980', '', '9007199254740993', 'abc']) {
      const rej = await rejection(request(signedForm({ ...paid, total_fee }, config.key)));
      expect(rej.statusCode).toBe(400);
    }
  });

  it('refuses a repeated field (a second total_fee riding on the sign) with 400', async () => {
    const body = Buffer.concat([signedForm(paid, config.key), Buffer.from('&total_fee=1')]);
    expect((await rejection(request(body))).statusCode).toBe(400);
  });

  it('refuses a missing out_trade_no or payjs_order_id, a non-form body and a GET with 400', async () => {
    const { out_trade_no: _o, ...noTradeNo } = paid;
    const { payjs_order_id: _p, ...noOrderId } = paid;
    expect((await rejection(request(signedForm(noTradeNo, config.key)))).statusCode).toBe(400);
    expect((await rejection(request(signedForm(noOrderId, config.key)))).statusCode).toBe(400);
    expect((await rejection(request(Buffer.from(JSON.stringify(paid)), { 'content-type': 'application/json' }))).statusCode).toBe(400);
    expect((await rejection({ ...request(signedForm(paid, config.key)), method: 'GET' })).statusCode).toBe(400);
  });

  it('keeps a verified payment whose time_end cannot be read, without paidAt', async () => {
    for (const time_end of ['2024-02-30 12:00:00', 'yesterday']) {
      const report = await readPayjsNotification(config, request(signedForm({ ...paid, time_end }, config.key)));
      expect(report.paidAt).toBeUndefined();
      expect(report.amountFen).toBe(980);
    }
    const compact = await readPayjsNotification(config, request(signedForm({ ...paid, time_end: '20240501120005' }, config.key)));
    expect(compact.paidAt).toBe(Date.UTC(2024, 4, 1, 4, 0, 5));
  });
});

describe('PAYJS notification replies', () => {
  it('acks with 200 and exactly "success"', () => {
    expect(payjsAck()).toEqual({ statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'success' });
  });

  it('rejects with the given status and a short text that is not "success"', () => {
    const r = payjsReject(401, 'sign does not verify');
    expect(r.statusCode).toBe(401);
    expect(r.body).toBe('sign does not verify');
    expect(payjsReject(400, 'x'.repeat(500)).body.length).toBe(200);
  });
});
