import * as crypto from 'node:crypto';
import { forgeV3, type Forged } from '../helpers/forge-notification';
import { replay, startTestSandbox, type TestSandbox } from '../helpers/sandbox';

/**
 * Load run (bounded, loopback): many orders paid while each genuine notification arrives many times,
 * concurrently, among forged and tampered ones. What must hold: every order meant to be paid is PAID
 * exactly once, nothing forged is accepted, stock is exact, every acknowledged notification is applied.
 */
let s: TestSandbox;
beforeAll(async () => {
  s = await startTestSandbox();
});
afterAll(() => s.close());

const PAID_ORDERS = 24;
const FORGED_ONLY = 8;
const REPEATS = 6;
const SKUS = ['sku-mug', 'sku-drip-bags', 'sku-coffee-beans'];
const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

/** Every way a notification must fail, each made from a genuine one or signed validly around a lie. */
function forgeries(order: { outTradeNo: string; amountFen: number }): Forged[] {
  const genuine = forgeV3(s.dir, order);
  const tampered = { ...genuine, body: Buffer.from(genuine.body.toString().replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" ')) };
  const resigned = (() => {
    const h = { ...genuine.headers };
    h['wechatpay-signature'] = crypto.sign('sha256', Buffer.from(`${h['wechatpay-timestamp']}\n${h['wechatpay-nonce']}\n${genuine.body}\n`), otherKey).toString('base64');
    return { headers: h, body: genuine.body };
  })();
  const swappedCiphertext = (() => {
    const other = forgeV3(s.dir, { ...order, amountFen: 1 });
    const body = JSON.parse(genuine.body.toString());
    body.resource = JSON.parse(other.body.toString()).resource;
    return { headers: genuine.headers, body: Buffer.from(JSON.stringify(body)) };
  })();
  return [
    tampered,
    resigned,
    swappedCiphertext,
    forgeV3(s.dir, order, { timestamp: Math.floor(Date.now() / 1000) - 900 }),
    forgeV3(s.dir, order, { serial: 'PUB_KEY_ID_0000000000000000000000000000' }),
    forgeV3(s.dir, order, { mchid: '1999999999' }),
    forgeV3(s.dir, { ...order, amountFen: order.amountFen + 1 }),
    { headers: { ...genuine.headers, 'wechatpay-signature-type': 'WECHATPAY2-SM2-WITH-SM3' }, body: genuine.body },
  ];
}

it('pays each order exactly once and accepts nothing forged', async () => {
  const stockBefore = Object.fromEntries(await Promise.all(SKUS.map(async (k) => [k, await s.stock(k)] as const)));
  const orders = [];
  for (let i = 0; i < PAID_ORDERS + FORGED_ONLY; i++) {
    const skuId = SKUS[i % SKUS.length];
    const openid = `storm-${i % 5}`;
    const { order } = await s.ok(openid, { action: 'createOrder', items: [{ skuId, quantity: 1 + (i % 2) }] });
    await s.ok(openid, { action: 'pay', orderId: order.orderId, method: 'wechat' });
    orders.push({ ...order, skuId, openid });
  }
  const meantPaid = orders.slice(0, PAID_ORDERS);
  const sends: { kind: 'genuine' | 'forged'; outTradeNo: string; n: Forged }[] = [];
  for (const o of meantPaid) {
    const genuine = forgeV3(s.dir, o);
    for (let r = 0; r < REPEATS; r++) sends.push({ kind: 'genuine', outTradeNo: o.outTradeNo, n: genuine });
  }
  for (const o of orders) for (const n of forgeries(o)) sends.push({ kind: 'forged', outTradeNo: o.outTradeNo, n });
  // A fixed shuffle: arrival order mixes genuine and forged ones for the same orders.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = sends.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [sends[i], sends[j]] = [sends[j], sends[i]];
  }

  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const started = Date.now();
  const answers = await Promise.all(sends.map(async (x) => ({ ...x, status: (await replay(`${s.url}/http/payNotify`, x.n)).status })));
  const took = Date.now() - started;
  const paidLines = log.mock.calls.map((c) => String(c[0])).filter((l) => l.endsWith(': PAID'));
  log.mockRestore();

  // Forged: never acknowledged. Genuine: always acknowledged (2xx), none lost.
  const forgedAcked = answers.filter((a) => a.kind === 'forged' && a.status < 300);
  expect(forgedAcked).toEqual([]);
  expect(answers.filter((a) => a.kind === 'genuine' && a.status >= 300)).toEqual([]);
  expect(answers.every((a) => a.status !== 500)).toBe(true);

  for (const o of meantPaid) {
    const doc = await s.order(o.orderId);
    expect(doc.status).toBe('PAID');
    expect(paidLines.filter((l) => l.includes(o.outTradeNo))).toHaveLength(1);
  }
  for (const o of orders.slice(PAID_ORDERS)) {
    const doc = await s.order(o.orderId);
    expect(doc.status).toBe('PENDING');
    expect(doc.paidAt).toBeUndefined();
    // The validly signed ones with another amount or merchant are kept for the merchant.
    expect(doc.paymentAnomalies).toHaveLength(2);
    expect(doc.paymentAnomalies).toEqual(expect.arrayContaining([expect.objectContaining({ amountFen: o.amountFen + 1 }), expect.objectContaining({ mchid: '1999999999' })]));
  }
  // Stock: taken once per order, nothing given back (no order closed).
  for (const k of SKUS) {
    const held = orders.filter((o) => o.skuId === k).reduce((n, o) => n + o.items[0].quantity, 0);
    expect(await s.stock(k)).toBe(stockBefore[k] - held);
  }
  expect(sends.length).toBe(PAID_ORDERS * REPEATS + (PAID_ORDERS + FORGED_ONLY) * 8);
  expect(took).toBeLessThan(15_000);
});
