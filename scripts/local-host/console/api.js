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

/** { orders, payments, now } */
export async function fetchState(signal) {
  const res = await fetch(`${BASE}/state`, { cache: 'no-store', signal });
  if (!res.ok) throw await failure(res);
  return res.json();
}

/** What the payer's wallet does with a waiting payment: 'pay' | 'cancel' | 'fail'. */
export async function settle(paymentId, outcome) {
  const res = await fetch(`${BASE}/payments/${encodeURIComponent(paymentId)}/${outcome}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  if (!res.ok) throw await failure(res);
  return (await res.json()).payment;
}

export function qrImageUrl(text) {
  return `${BASE}/qr.svg?text=${encodeURIComponent(text)}`;
}
