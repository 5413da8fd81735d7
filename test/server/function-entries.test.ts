import { handleCheckout, handleTimer } from '../../cloudfunctions/checkout/src/handler';
import { handleNotify } from '../../cloudfunctions/payNotify/src/handler';
import { routeOf } from '../../cloudfunctions/common/payment/providers';
import { AppError } from '../../cloudfunctions/common/errors';
import { startContext } from '../../cloudfunctions/common/start';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';

describe('a function started with a bad configuration', () => {
  const ctx = startContext(createMemoryDatabase(), { WXPAY_MCHID: '1900000109', WXPAY_APPID: 'wx0123456789abcdef' });

  it('keeps loading; every call answers CONFIG_ERROR and the log names the variable', async () => {
    expect(ctx).toBeInstanceOf(AppError);
    const logged = jest.spyOn(console, 'error');
    const r = await handleCheckout({ action: 'listProducts' }, 'someone', ctx);
    expect(r).toEqual({ ok: false, error: { code: 'CONFIG_ERROR', message: expect.not.stringContaining('WXPAY_NOTIFY_URL') } });
    expect(logged.mock.calls.flat().join(' ')).toContain('WXPAY_NOTIFY_URL');
    logged.mockRestore();
    expect(await handleTimer(ctx)).toMatchObject({ ok: false, error: { code: 'CONFIG_ERROR' } });
  });

  it('answers notifications with 500, so the provider sends them again once it is fixed', async () => {
    const reply = await handleNotify({ httpMethod: 'POST', path: '/payNotify', headers: {}, body: '<xml></xml>' }, ctx);
    expect(reply.statusCode).toBe(500);
  });
});

describe('payNotify routing', () => {
  const ctx = startContext(createMemoryDatabase(), { PAYJS_MCHID: '1500000001', PAYJS_KEY: 'k', PAYJS_NOTIFY_URL: 'https://example.com/payNotify' });
  const post = (headers: Record<string, string>, body: string, httpMethod = 'POST') => handleNotify({ httpMethod, path: '/payNotify', headers, body }, ctx);

  it('takes POST only', async () => {
    expect((await post({}, '', 'GET')).statusCode).toBe(405);
  });

  it('refuses what is no notification, and providers this deployment does not use', async () => {
    expect((await post({ 'content-type': 'application/json' }, '{"hello":1}')).statusCode).toBe(400);
    expect((await post({ 'content-type': 'text/xml' }, '<xml><return_code>SUCCESS</return_code></xml>')).statusCode).toBe(400);
    expect((await post({ 'Wechatpay-Signature': 'x', 'content-type': 'application/json' }, '{}')).statusCode).toBe(400);
  });

  it('reads base64 bodies from the HTTP access service byte for byte', async () => {
    const form = 'return_code=1&total_fee=1&out_trade_no=x&mchid=1500000001&sign=BAD';
    const reply = await handleNotify(
      { httpMethod: 'POST', path: '/payNotify', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form).toString('base64'), isBase64Encoded: true },
      ctx,
    );
    // Parsed as PAYJS and refused for its signature (not for its shape).
    expect(reply.statusCode).toBe(401);
  });

  it('without an identity, checkout refuses', async () => {
    const r = await handleCheckout({ action: 'listOrders' }, undefined, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
  });
});

describe('routeOf', () => {
  const req = (body: string, headers: Record<string, string> = {}) => ({ method: 'POST', path: '/payNotify', headers, rawBody: Buffer.from(body) });
  it('recognises v2 XML after a byte-order mark or an XML prolog', () => {
    expect(routeOf(req('<xml><a>1</a></xml>'))).toBe('wxpay-v2');
    expect(routeOf(req('\uFEFF<xml><a>1</a></xml>'))).toBe('wxpay-v2');
    expect(routeOf(req('<?xml version="1.0" encoding="UTF-8"?>\n<xml><a>1</a></xml>'))).toBe('wxpay-v2');
    expect(routeOf(req('<xmlfoo/>'))).toBeUndefined();
  });
  it('recognises v3 by its signature header and PAYJS by its form', () => {
    expect(routeOf(req('{}', { 'wechatpay-signature': 'x' }))).toBe('wxpay-v3');
    expect(routeOf(req('a=1', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }))).toBe('payjs');
  });
});
