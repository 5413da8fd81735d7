import { encodeForm } from '../../cloudfunctions/common/payjs/form';
import { signPayjs } from '../../cloudfunctions/common/payjs/sign';
import { AppError } from '../../cloudfunctions/common/errors';
import { startContext } from '../../cloudfunctions/common/start';
import { handleNotify, REJECTION_REASONS } from '../../cloudfunctions/payNotify/src/handler';
import { createMemoryDatabase } from '../../scripts/local-host/wx-server-sdk';

/**
 * What payNotify tells the sender of a notification it refuses: a short sentence per class, whoever
 * sent it; the reason in detail goes to the function log only. Status codes stay as they were.
 */

const MCHID = '1500000001';
const KEY = 'payjs-test-key';
const db = createMemoryDatabase();
const started = startContext(db, { PAYJS_MCHID: MCHID, PAYJS_KEY: KEY, PAYJS_NOTIFY_URL: 'https://example.com/payNotify' });
if (started instanceof AppError) throw started;
const ctx = started;

const ORDER = { _id: 'a1b2c3', _openid: 'payer', outTradeNo: 'T202612010001', status: 'PENDING', amountFen: 900, items: [], createdAt: 1, expiresAt: Date.now() + 600_000 };

beforeAll(async () => {
  await db.collection('orders').add({ data: ORDER });
});

function payment(fields: Record<string, string>, sign = true): string {
  const all: Record<string, string> = { return_code: '1', mchid: MCHID, total_fee: '900', out_trade_no: ORDER.outTradeNo, payjs_order_id: '2026120100000001', transaction_id: '4200001', ...fields };
  return encodeForm(sign ? { ...all, sign: signPayjs(all, KEY) } : { ...all, sign: 'BAD' });
}

async function post(body: string): Promise<{ statusCode: number; body: string; log: string }> {
  const spies = [jest.spyOn(console, 'warn'), jest.spyOn(console, 'error'), jest.spyOn(console, 'log')];
  try {
    const reply = await handleNotify({ httpMethod: 'POST', path: '/payNotify', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }, ctx);
    return { statusCode: reply.statusCode, body: reply.body, log: spies.flatMap((s) => s.mock.calls.flat().map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))).join('\n') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

describe('payNotify refusals', () => {
  it('a bad signature: 401, a generic reason; the log says why', async () => {
    const r = await post(payment({}, false));
    expect(r).toMatchObject({ statusCode: 401, body: REJECTION_REASONS.SIGNATURE });
    expect(r.log).toContain('sign does not verify');
  });

  it('a signed but malformed notification: 400, a generic reason; the log names the field', async () => {
    const r = await post(payment({ total_fee: '9.00' }));
    expect(r).toMatchObject({ statusCode: 400, body: REJECTION_REASONS.MALFORMED });
    expect(r.log).toContain('total_fee');
    expect(r.body).not.toContain('total_fee');
  });

  it('an unknown order: 404, without echoing the order number', async () => {
    const r = await post(payment({ out_trade_no: 'T209912319999' }));
    expect(r).toMatchObject({ statusCode: 404, body: REJECTION_REASONS.UNKNOWN });
    expect(r.log).toContain('T209912319999');
  });

  it('another amount: 400, a generic reason; the log and the order keep the details', async () => {
    const r = await post(payment({ total_fee: '901' }));
    expect(r).toMatchObject({ statusCode: 400, body: REJECTION_REASONS.MISMATCH });
    expect(r.body).not.toMatch(/amount|901/);
    expect(r.log).toContain('901');
    const { data } = await db.collection('orders').doc(ORDER._id).get();
    expect(data).toMatchObject({ status: 'PENDING', paymentAnomalies: [expect.objectContaining({ amountFen: 901 })] });
  });

  it('every reason is short and names no field', () => {
    for (const reason of Object.values(REJECTION_REASONS)) {
      expect(reason.length).toBeLessThanOrEqual(40);
      expect(reason).not.toMatch(/out_trade_no|out_refund_no|sign=|amount|mchid|appid/);
    }
  });
});
