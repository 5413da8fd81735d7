/** @jest-environment jsdom */
// The console's browser modules are plain JavaScript (no declarations): typed here by what the test uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { renderOrder } = require('../../scripts/local-host/console/orders-view.js') as { renderOrder(o: object, now: number): { querySelector(s: string): { textContent: string | null } | null; querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } };

/** The console's orders table shows what needs a person about a payment (待核对, 支付异常). */

const base = { _id: 'o1', _openid: 'local-openid-0001', outTradeNo: 'T1', status: 'PENDING', amountFen: 2980, items: [{ name: 'Mug', quantity: 1 }], createdAt: 1_000, expiresAt: 2_000, payMethod: 'wechat' };

test('an order whose trade state is not verified shows 待核对 with its attempts and last error', () => {
  const row = renderOrder({ ...base, needsReconciliation: { since: 1_500, attempts: 2, cause: 'ANSWER_REJECTED', lastError: 'WeChat Pay answer failed verification' } }, 3_000);
  const text = row.querySelector('.attention.reconcile')?.textContent ?? '';
  expect(text).toContain('待核对');
  expect(text).toContain('2 failed check(s)');
  expect(text).toContain('failed verification');
  expect(row.querySelector('.attention.anomaly')).toBeNull();
});

test('each payment anomaly is shown with what the report said', () => {
  const row = renderOrder({ ...base, paymentAnomalies: [{ at: 1_200, via: 'notify', state: 'SUCCESS', amountFen: 2981, mchid: '1900000109', transactionId: '4200000009' }] }, 3_000);
  const lines = Array.from(row.querySelectorAll('.attention.anomaly'), (n) => n.textContent ?? '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/支付异常.*notify.*SUCCESS, amount ¥?29\.81, mchid 1900000109, transaction 4200000009/);
});

test('an order with nothing to look into shows neither', () => {
  expect(renderOrder(base, 3_000).querySelector('.attention')).toBeNull();
});
