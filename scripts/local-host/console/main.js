/** The console's loop: poll the sandbox state about once a second and update only what changed. */
import { fetchState, payerReceipt, settle, settleRefund } from './api.js';
import { fulfilmentSignature, receiptKey, renderFulfilment } from './fulfilment-view.js';
import { updateList } from './dom.js';
import { clock } from './format.js';
import { orderSignature, renderOrder } from './orders-view.js';
import { paymentSignature, refreshRelativeTimes, renderPayment } from './payments-view.js';
import { refundKey } from './refunds-view.js';

const POLL_MS = 1000;
/** A poll that takes longer than this is abandoned, so one stuck request cannot stop the loop. */
const POLL_TIMEOUT_MS = 5000;

const $ = (id) => document.getElementById(id);
const ui = { state: undefined, clockOffset: 0, busy: new Set(), errors: new Map(), timer: undefined, polling: false, pollAgain: false };

const serverNow = () => Date.now() + ui.clockOffset;

/** The status line is a live region: it changes only when the connection does, not on every poll. */
function setConnection(ok, text) {
  const el = $('connection');
  el.className = ok ? 'live' : 'down';
  if (el.textContent !== text) el.textContent = text;
}

function render() {
  if (!ui.state) return;
  const { orders, payments, refunds = [] } = ui.state;
  const now = serverNow();
  const orderByTradeNo = new Map(orders.map((o) => [o.outTradeNo, o]));
  const refundsOf = new Map();
  // Oldest first inside a payment: the order they were made in.
  for (const r of [...refunds].reverse()) refundsOf.set(r.paymentId, [...(refundsOf.get(r.paymentId) ?? []), r]);
  const refundCtx = { now, busy: ui.busy, errors: ui.errors, onRefund: actOnRefund, onDismiss: dismiss };
  const ctxOf = (p) => ({
    refunds: refundsOf.get(p.id) ?? [],
    refundCtx,
    now,
    order: orderByTradeNo.get(p.outTradeNo),
    busy: ui.busy.has(p.id),
    error: ui.errors.get(p.id),
    onAction: act,
    onDismiss: dismiss,
  });
  updateList($('payments'), payments, { key: (p) => p.id, signature: (p) => paymentSignature(p, ctxOf(p)), render: (p) => renderPayment(p, ctxOf(p)) });
  updateList($('orders-body'), orders, { key: (o) => o._id, signature: orderSignature, render: (o) => renderOrder(o, now) });
  const waiting = payments.filter((p) => p.status === 'WAITING').length;
  $('payments-count').textContent = `${payments.length} · ${waiting} waiting`;
  $('orders-count').textContent = String(orders.length);
  $('payments-empty').hidden = payments.length > 0;
  $('orders-empty').hidden = orders.length > 0;
  $('orders-table').hidden = orders.length === 0;
  renderFulfilmentSection(orders, ui.state.shipping ?? [], now);
  refreshRelativeTimes(document.body, now);
}

/** The Fulfilment section (fulfilment-view.js): paid orders with their hooks, shipping and receipt. */
function renderFulfilmentSection(orders, shipping, now) {
  const paid = orders.filter((o) => o.fulfilment);
  const recordOf = new Map(shipping.map((r) => [r.transactionId, r]));
  const ctxOf = (o) => ({ now, record: recordOf.get(o.transactionId), busy: ui.busy.has(receiptKey(o)), error: ui.errors.get(receiptKey(o)), onConfirm: confirmReceipt, onDismiss: dismiss });
  updateList($('fulfilment-body'), paid, { key: (o) => o._id, signature: (o) => fulfilmentSignature(o, ctxOf(o)), render: (o) => renderFulfilment(o, ctxOf(o)) });
  $('fulfilment-count').textContent = String(paid.length);
  $('fulfilment-empty').hidden = paid.length > 0;
  $('fulfilment-table').hidden = paid.length === 0;
}

async function confirmReceipt(order) {
  await runAction(receiptKey(order), async () => {
    const result = await payerReceipt(order.transactionId, order._openid, 'confirm');
    if (result.status !== 'success') throw new Error(result.errormsg ?? result.status);
  });
}

async function poll() {
  // One request at a time: a poll asked for meanwhile (e.g. right after a click) runs when this one ends.
  if (ui.polling) {
    ui.pollAgain = true;
    return;
  }
  ui.polling = true;
  clearTimeout(ui.timer);
  try {
    const state = await fetchState(AbortSignal.timeout(POLL_TIMEOUT_MS));
    ui.clockOffset = state.now - Date.now();
    ui.state = state;
    setConnection(true, 'Live 实时 · updated every second');
    $('updated').textContent = `last update ${clock(state.now)}`;
  } catch (e) {
    setConnection(false, `The local host does not answer (${e.message}). Is npm start still running? Retrying…`);
  } finally {
    ui.polling = false;
  }
  render();
  if (ui.pollAgain) {
    ui.pollAgain = false;
    return poll();
  }
  // A hidden tab polls nothing; becoming visible polls at once (below).
  if (!document.hidden) ui.timer = setTimeout(poll, POLL_MS);
}

/** A console action: its button busy, its error shown beside it, then the state read again. */
async function runAction(key, action) {
  ui.busy.add(key);
  ui.errors.delete(key);
  render();
  try {
    await action();
  } catch (e) {
    ui.errors.set(key, e.message);
  } finally {
    ui.busy.delete(key);
  }
  render();
  await poll();
}

function act(id, outcome) {
  return runAction(id, () => settle(id, outcome));
}

function actOnRefund(refund, outcome) {
  return runAction(refundKey(refund), () => settleRefund(refund.provider, refund.outRefundNo, outcome));
}

function dismiss(id) {
  ui.errors.delete(id);
  render();
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void poll();
});
void poll();
