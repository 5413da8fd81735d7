/** The sandbox's JSON routes, as the console uses them. Failures become Errors carrying the host's message. */

const BASE = '/sandbox/api';

async function failure(res) {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') message = body.error;
  } catch {
    // Not JSON: the status line says enough.
  }
  return new Error(message);
}

/** { orders, payments, refunds, now } */
export async function fetchState(signal) {
  const res = await fetch(`${BASE}/state`, { cache: 'no-store', signal });
  if (!res.ok) throw await failure(res);
  return res.json();
}

/** The sandbox's actions are JSON POSTs (an empty object when the route takes no fields). */
async function post(path) {
  const res = await fetch(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  if (!res.ok) throw await failure(res);
  return res.json();
}

/** What the payer's wallet does with a waiting payment: 'pay' | 'cancel' | 'fail'. */
export async function settle(paymentId, outcome) {
  return (await post(`/payments/${encodeURIComponent(paymentId)}/${outcome}`)).payment;
}

/** The bank's side of a refund: 'succeed' | 'abnormal' | 'close'. */
export async function settleRefund(provider, outRefundNo, outcome) {
  return (await post(`/refunds/${encodeURIComponent(provider)}/${encodeURIComponent(outRefundNo)}/${outcome}`)).refund;
}

/** The payer in WeChat's 确认收货 page for a shipped order: 'confirm' | 'cancel'. */
export async function payerReceipt(transactionId, openid, outcome) {
  const res = await fetch(`${BASE}/shipping/receipt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extraData: { transaction_id: transactionId }, openid, outcome }) });
  if (!res.ok) throw await failure(res);
  return (await res.json()).result;
}

export function qrImageUrl(text) {
  return `${BASE}/qr.svg?text=${encodeURIComponent(text)}`;
}
