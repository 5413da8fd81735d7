import { request, startTestSandbox, type TestSandbox } from '../helpers/sandbox';

/** The local host put behind a tunnel or reverse proxy (to receive real notifications), and visited web pages. */
let s: TestSandbox;
beforeAll(async () => {
  s = await startTestSandbox();
});
afterAll(() => s.close());

const json = (body: unknown) => Buffer.from(JSON.stringify(body));
const post = (path: string, headers: Record<string, string>, body: Buffer | string) => request(`${s.url}${path}`, { method: 'POST', headers, body });
const errorOf = (r: { body: Buffer }) => JSON.parse(r.body.toString('utf8')).error as string;

describe('proxied requests', () => {
  const PROXY_HEADERS: Record<string, string>[] = [
    { forwarded: 'for=203.0.113.7;proto=https' },
    { 'x-forwarded-for': '203.0.113.7' },
    { 'x-forwarded-proto': 'https' },
    { 'x-forwarded-host': 'shop.example.com' },
    { via: '1.1 nginx' },
    { 'X-Real-IP': '203.0.113.7' },
  ];

  it('never reach the identity route, whatever X-WX-OPENID they carry', async () => {
    for (const h of PROXY_HEADERS) {
      const r = await post('/api/checkout', { ...h, 'content-type': 'application/json', 'x-wx-openid': 'victim' }, json({ action: 'listOrders' }));
      expect(r.status).toBe(403);
      expect(errorOf(r)).toMatch(/proxied/);
    }
    // The same request from this machine is served.
    expect((await post('/api/checkout', { 'content-type': 'application/json', 'x-wx-openid': 'victim' }, json({ action: 'listOrders' }))).status).toBe(200);
  });

  it('never reach the sandbox (state, payer actions, faults) nor the emulators', async () => {
    for (const h of PROXY_HEADERS) {
      expect((await request(`${s.url}/sandbox/api/state`, { headers: h })).status).toBe(403);
      expect((await post('/sandbox/api/faults', { ...h, 'content-type': 'application/json' }, json({ provider: 'wxpay-v3', clear: true }))).status).toBe(403);
      expect((await request(`${s.url}/v3/pay/transactions/out-trade-no/x?mchid=1`, { headers: h })).status).toBe(403);
    }
  });

  it('reach the notify route, even with the public Host name the proxy forwards', async () => {
    const r = await post('/http/payNotify', { 'x-forwarded-for': '203.0.113.7', via: '1.1 nginx', host: 'shop.example.com', 'content-type': 'text/xml' }, '<xml><return_code>SUCCESS</return_code></xml>');
    // Answered by payNotify itself (refused as no valid notification), not by the host's guard.
    expect(r.status).not.toBe(403);
    expect(r.body.toString('utf8')).not.toMatch(/proxied|local host answers only/);
  });
});

describe('sandbox POST routes from web pages', () => {
  const fault = json({ provider: 'wxpay-v3', clear: true });

  it('refuse bodies that are not JSON (a cross-site form or text/plain post needs no preflight)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      const r = await post('/sandbox/api/faults', headers, fault);
      expect(r.status).toBe(403);
      expect(errorOf(r)).toMatch(/application\/json/);
    }
  });

  it('refuse another origin, accept none or this host', async () => {
    const host = new URL(s.url).host;
    for (const origin of ['https://evil.example', 'http://localhost:1', 'null', `https://${host}`]) {
      expect((await post('/sandbox/api/faults', { 'content-type': 'application/json', origin }, fault)).status).toBe(403);
    }
    expect((await post('/sandbox/api/faults', { 'content-type': 'application/json; charset=utf-8', origin: `http://${host}` }, fault)).status).toBe(200);
    expect((await post('/sandbox/api/faults', { 'content-type': 'application/json' }, fault)).status).toBe(200);
  });

  it('a payer action posted cross-site pays nothing', async () => {
    const created = await s.ok('alice', { action: 'createOrder', items: [{ skuId: 'sku-gift-card', quantity: 1 }], requestId: 'req-cross-site-1' });
    const paid = await s.ok('alice', { action: 'pay', orderId: created.order.orderId, method: 'native' });
    const codeUrl = (paid as { codeUrl: string }).codeUrl;
    const r = await post('/sandbox/api/wxpay/scan', { 'content-type': 'text/plain', origin: 'https://evil.example' }, json({ codeUrl, outcome: 'pay' }));
    expect(r.status).toBe(403);
    expect((await s.order(created.order.orderId)).status).toBe('PENDING');
    // The console's own request (JSON, same origin) still pays it.
    const own = await post('/sandbox/api/wxpay/scan', { 'content-type': 'application/json', origin: s.url }, json({ codeUrl, outcome: 'pay' }));
    expect(own.status).toBe(200);
  });
});
