import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { handleCheckout } from '../../cloudfunctions/checkout/src/handler';
import { AppError } from '../../cloudfunctions/common/errors';
import type { OrderContext } from '../../cloudfunctions/common/orders/context';
import { createOrder } from '../../cloudfunctions/common/orders/create';
import { startContext } from '../../cloudfunctions/common/start';
import { handleNotify } from '../../cloudfunctions/payNotify/src/handler';
import { applySandboxDefaults, loadOrCreateSandboxKeys } from '../../scripts/local-host/sandbox-env';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';
import { ROOT } from '../helpers/sandbox';

/**
 * Bad-input run (bounded, in-process): thousands of generated malformed events through checkout and
 * payNotify. What must hold: every answer carries a code of the contract (checkout) or a 4xx (payNotify),
 * nothing throws, and a refused event writes nothing.
 */

const CHECKOUT_EVENTS = 3000;
const NOTIFY_EVENTS = 2000;
// The contract's codes, read from the typings the mini-program and the functions share.
const CODES = new Set([...fs.readFileSync(path.join(ROOT, 'typings', 'checkout.d.ts'), 'utf8').matchAll(/^\s*\|\s*'([A-Z_]+)'/gm)].map((m) => m[1]));

let seed = 2026;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-'));
const db = createMemoryDatabase();
let ctx: OrderContext;
let victimOrders: { _id: string; outTradeNo: string }[] = [];

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = { ORDER_TTL_SECONDS: '1800' };
  // Loopback port 9 (discard): any provider call fails fast, as an unreachable provider does.
  applySandboxDefaults(env, loadOrCreateSandboxKeys(dir), 'http://127.0.0.1:9', 'https://127.0.0.1:9');
  const c = startContext(db, env);
  if (c instanceof AppError) throw c;
  ctx = c;
  for (const line of fs.readFileSync(path.join(ROOT, 'cloudfunctions', 'checkout', 'seed', 'products.json'), 'utf8').split('\n').filter(Boolean)) {
    await db.collection('products').add({ data: JSON.parse(line) });
  }
  victimOrders = await Promise.all([1, 2, 3].map(() => createOrder(ctx, 'victim', [{ skuId: 'sku-mug', quantity: 1 }])));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const snapshot = () => JSON.stringify(['orders', 'products', 'pendingHolds'].map((c) => db.dump(c)));

/** Values of every JSON type and shape that breaks naive code. */
function junk(depth = 0): unknown {
  const r = rnd();
  if (r < 0.1) return null;
  if (r < 0.2) return pick([0, -1, 1.5, 1e308, -0, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 201, 999999]);
  if (r < 0.3) return pick([true, false]);
  if (r < 0.5) return pick(['', ' ', 'a'.repeat(5000), '\u0000', '💳', '__proto__', 'constructor', '<xml/>', '{"a":1}', 'sku-mug', 'wechat', 'native', 'payjs', '../../etc/passwd', '$where', 'prepay_id=wx1']);
  if (r < 0.55 && victimOrders.length) return pick(victimOrders)._id;
  if (depth > 2) return 'x';
  if (r < 0.75) return Array.from({ length: Math.floor(rnd() * 4) }, () => junk(depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < Math.floor(rnd() * 4); i++) o[pick(['skuId', 'quantity', 'priceFen', '__proto__', 'constructor', 'action', '$gt', 'a'])] = junk(depth + 1);
  return o;
}

const ACTIONS = ['listProducts', 'listOrders', 'createOrder', 'pay', 'queryOrder', 'cancelOrder', 'requestRefund', 'refund', 'LISTPRODUCTS', '', 'toString'];
const FIELDS = ['items', 'orderId', 'method', 'requestId', 'payjsOrderId', 'reason', 'priceFen', 'amountFen', 'openid', '_openid', 'status'];

function checkoutEvent(): unknown {
  if (rnd() < 0.1) return junk();
  const e: Record<string, unknown> = { action: rnd() < 0.9 ? pick(ACTIONS) : junk() };
  for (const f of FIELDS) if (rnd() < 0.35) e[f] = f === 'items' && rnd() < 0.5 ? [{ skuId: pick(['sku-mug', 'nope', junk()]), quantity: junk() }] : junk();
  return e;
}

it('checkout: every malformed event gets a contract code and writes nothing', async () => {
  const codes = new Map<string, number>();
  for (let i = 0; i < CHECKOUT_EVENTS; i++) {
    const event = checkoutEvent();
    const openid = pick(['fuzzer', 'fuzzer', 'fuzzer', '', undefined]);
    const before = snapshot();
    const r = await handleCheckout(event, openid, ctx);
    if (r.ok) continue;
    expect(CODES.has(r.error.code)).toBe(true);
    expect(typeof r.error.message).toBe('string');
    codes.set(r.error.code, (codes.get(r.error.code) ?? 0) + 1);
    if (snapshot() !== before) throw new Error(`refused event wrote something: ${JSON.stringify(event)} → ${r.error.code}`);
  }
  expect(codes.get('INTERNAL')).toBeUndefined();
  expect(codes.get('INVALID_ARGUMENT')).toBeGreaterThan(CHECKOUT_EVENTS / 3);
  // The victim's orders are untouched by anyone else.
  for (const o of victimOrders) expect((await ctx.repo.get(o._id))?.status).toBe('PENDING');
});

function notifyEvent(): Record<string, unknown> {
  const kind = pick(['v3', 'v2', 'payjs', 'bytes', 'empty']);
  const headers: Record<string, unknown> = {};
  let body = '';
  const outTradeNo = pick(victimOrders).outTradeNo;
  if (kind === 'v3') {
    Object.assign(headers, { 'content-type': 'application/json', 'wechatpay-signature': pick(['', 'x', 'A'.repeat(344)]), 'wechatpay-timestamp': pick([String(Math.floor(Date.now() / 1000)), '-1', '1e10', 'abc']), 'wechatpay-nonce': pick(['n', '']), 'wechatpay-serial': pick(['PUB_KEY_ID_X', '00', '']) });
    if (rnd() < 0.3) headers['wechatpay-signature-type'] = junk();
    body = JSON.stringify(pick([{ event_type: 'TRANSACTION.SUCCESS', resource: junk() }, { event_type: junk(), resource: { algorithm: 'AEAD_AES_256_GCM', ciphertext: 'AAAA', nonce: '123456789012', associated_data: 'transaction' } }, junk()]));
  } else if (kind === 'v2') {
    headers['content-type'] = pick(['text/xml', 'application/xml', '']);
    body = `<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code><out_trade_no>${outTradeNo}</out_trade_no><total_fee>${pick(['1', '-1', 'x', '990'])}</total_fee><sign>${pick(['', 'BAD'])}</sign>${pick(['', '<!DOCTYPE x [<!ENTITY e "e">]>', '<a><a><a></a></a></a>', '<![CDATA[', '&e;'])}</xml>`;
  } else if (kind === 'payjs') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = `return_code=1&total_fee=${pick(['990', '-5', ''])}&out_trade_no=${outTradeNo}&payjs_order_id=${pick(['p1', ''])}&mchid=${pick(['1', ''])}&sign=${pick(['', 'ABC'])}${pick(['', '&&&', '&=x', '&a=%ZZ'])}`;
  } else if (kind === 'bytes') {
    body = Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256))).toString('latin1');
  }
  const base64 = rnd() < 0.5;
  return {
    httpMethod: pick(['POST', 'POST', 'POST', 'GET', 'PUT', 'post']),
    path: pick(['/payNotify', '/', '/payNotify/../x']),
    headers: rnd() < 0.05 ? undefined : headers,
    body: rnd() < 0.03 ? junk() : base64 ? Buffer.from(body, 'latin1').toString('base64') : body,
    isBase64Encoded: rnd() < 0.03 ? junk() : base64,
  };
}

it('payNotify: every malformed notification is refused with a 4xx and writes nothing', async () => {
  const before = snapshot();
  const statuses = new Map<number, number>();
  for (let i = 0; i < NOTIFY_EVENTS; i++) {
    const event = notifyEvent();
    const reply = await handleNotify(event as never, ctx);
    statuses.set(reply.statusCode, (statuses.get(reply.statusCode) ?? 0) + 1);
    if (reply.statusCode < 400 || reply.statusCode >= 500) throw new Error(`answered ${reply.statusCode} to ${JSON.stringify(event).slice(0, 300)}`);
  }
  expect(snapshot()).toBe(before);
  expect(statuses.get(401)).toBeGreaterThan(0);
  expect(statuses.get(400)).toBeGreaterThan(0);
});
