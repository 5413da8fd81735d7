import jsQR from 'jsqr';
import { QR_MAX_TEXT } from '../../scripts/local-host/sandbox-api';
import { loadOrCreateSandboxKeys } from '../../scripts/local-host/sandbox-env';
import { startTestSandbox, waitForStatus, type TestSandbox } from '../helpers/sandbox';

/** The routes the console reads besides the payer's actions: the QR image and the state it polls. */

/**
 * Rasterises the SVG the qrcode package draws (one stroked path of "M x y", "m dx dy" and "h dx"
 * commands, each a run of dark modules on row floor(y)) and reads it back with jsQR.
 */
function decodeSvg(svg: string): string | null {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  const d = /<path stroke="#000000" d="([^"]+)"/.exec(svg)?.[1] ?? '';
  const scale = 4;
  const px = new Uint8ClampedArray(size * scale * size * scale * 4).fill(255);
  let x = 0;
  let y = 0;
  for (const [, cmd, a, b] of d.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    if (cmd === 'M') [x, y] = [Number(a), Number(b)];
    else if (cmd === 'm') [x, y] = [x + Number(a), y + Number(b)];
    else {
      for (let col = x; col < x + Number(a); col++) {
        for (let i = 0; i < scale * scale; i++) {
          const p = ((Math.floor(y) * scale + Math.floor(i / scale)) * size * scale + col * scale + (i % scale)) * 4;
          px[p] = px[p + 1] = px[p + 2] = 0;
        }
      }
      x += Number(a);
    }
  }
  return jsQR(px, size * scale, size * scale)?.data ?? null;
}

describe('sandbox routes the console reads', () => {
  let s: TestSandbox;
  beforeAll(async () => {
    s = await startTestSandbox();
  });
  afterAll(() => s.close());

  const qr = (text: string | undefined) => fetch(`${s.url}/sandbox/api/qr.svg${text === undefined ? '' : `?text=${encodeURIComponent(text)}`}`);

  test('qr.svg draws the text as a QR code', async () => {
    const codeUrl = 'weixin://wxpay/bizpayurl?pr=AbC-12_xyz';
    const res = await qr(codeUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(decodeSvg(await res.text())).toBe(codeUrl);
  });

  test(`qr.svg refuses no text and text longer than ${QR_MAX_TEXT} characters`, async () => {
    expect((await qr(undefined)).status).toBe(400);
    expect((await qr('')).status).toBe(400);
    const tooLong = await qr('x'.repeat(QR_MAX_TEXT + 1));
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: string }).error).toMatch(/longer than 512/);
    expect((await qr('x'.repeat(QR_MAX_TEXT))).status).toBe(200);
  });

  test('the console files are served, and the state it polls carries no key', async () => {
    for (const file of ['/', '/main.js', '/console.css']) expect((await fetch(`${s.url}${file}`)).status).toBe(200);

    const { order } = await s.ok('openid-bob', { action: 'createOrder', items: [{ skuId: 'sku-mug', quantity: 1 }] });
    const paid = await s.ok('openid-bob', { action: 'pay', orderId: order.orderId, method: 'native' });
    if (paid.method !== 'native') throw new Error('expected a Native payment');
    await s.post('/sandbox/api/wxpay/scan', { codeUrl: paid.codeUrl, outcome: 'pay' });
    await waitForStatus(s, 'openid-bob', order.orderId, 'PAID');

    const state = await (await fetch(`${s.url}/sandbox/api/state`)).text();
    expect(state).toContain(order.outTradeNo);
    const keys = loadOrCreateSandboxKeys(s.dir);
    for (const secret of [keys.apiV3Key, keys.v2Key, keys.payjsKey]) expect(state).not.toContain(secret);
    expect(state).not.toMatch(/PRIVATE KEY/);
  });
});
