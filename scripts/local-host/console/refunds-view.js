/** A payment's refunds at the emulator: their state, the bank's side as buttons, and their notifications. */
import { deliveryTable } from './deliveries-view.js';
import { h } from './dom.js';
import { clock, yuan } from './format.js';

const STATUS = { PROCESSING: 'processing 退款中', SUCCESS: 'refunded 退款成功', ABNORMAL: 'abnormal 退款异常', CLOSED: 'closed 退款关闭' };
/** Outcome, label, what it does, the statuses it applies to (ABNORMAL is not final at the platform). */
const ACTIONS = [
  ['succeed', 'Succeed 退款成功', 'the money reaches the payer: the emulator sends the refund notification (SUCCESS)', ['PROCESSING', 'ABNORMAL']],
  ['abnormal', 'Abnormal 退款异常', "the payer's account cannot take it (ABNORMAL / CHANGE); it can still succeed or close later", ['PROCESSING']],
  ['close', 'Close 退款关闭', 'the refund is closed (CLOSED / REFUNDCLOSE): its amount can be refunded again', ['PROCESSING', 'ABNORMAL']],
];

/** The key a refund's busy flag and error are kept under in the page. */
export const refundKey = (r) => `${r.provider}/${r.outRefundNo}`;

function notifications(r, now) {
  if (r.deliveries.length > 0) return h('div', { class: 'deliveries' }, h('h4', null, `Notifications 退款通知 (${r.deliveries.length})`), deliveryTable(r.deliveries, now));
  let why = 'none were sent.';
  if (r.provider === 'payjs') why = 'PAYJS sends none: its refund is done when answered.';
  else if (!r.notifyUrl) why = 'the request had no notify_url, so none are sent.';
  else if (r.status === 'PROCESSING') why = 'none yet: sent to payNotify when the refund is settled.';
  return h('p', { class: 'muted' }, `Notifications 退款通知: ${why}`);
}

function refundItem(r, ctx) {
  const key = refundKey(r);
  const busy = ctx.busy.has(key);
  const error = ctx.errors.get(key);
  const label = `refund ${r.outRefundNo} (${yuan(r.amountFen)})`;
  const open = ACTIONS.filter(([, , , from]) => from.includes(r.status));
  return h(
    'li',
    { class: `refund ${r.status.toLowerCase()}`, 'data-refund': r.outRefundNo, 'data-status': r.status },
    h(
      'div',
      { class: 'refund-head' },
      h('span', { class: `badge ${r.status.toLowerCase()}` }, STATUS[r.status] ?? r.status),
      h('strong', { class: 'amount' }, yuan(r.amountFen)),
      h('code', null, r.outRefundNo),
      r.reason && h('span', { class: 'muted' }, `· ${r.reason}`),
    ),
    h(
      'div',
      { class: 'muted' },
      `refund id ${r.refundId} · applied 申请 ${clock(r.createdAt, ctx.now)}`,
      r.settledAt !== undefined ? ` · settled 处理 ${clock(r.settledAt, ctx.now)}` : '',
    ),
    open.length > 0 &&
      h(
        'div',
        { class: 'actions', role: 'group', 'aria-label': `The bank's side of ${label}` },
        open.map(([outcome, text, why]) =>
          h('button', { type: 'button', class: `act refund-${outcome}`, title: why, disabled: busy, 'aria-label': `${text}: ${label}`, onclick: () => ctx.onRefund(r, outcome) }, text),
        ),
        busy && h('span', { class: 'muted', role: 'status' }, 'sending…'),
      ),
    error &&
      h('p', { class: 'error', role: 'alert' }, `Refused 被拒绝: ${error} `, h('button', { type: 'button', class: 'dismiss', 'aria-label': 'Dismiss this message', onclick: () => ctx.onDismiss(key) }, '×')),
    notifications(r, ctx.now),
  );
}

/**
 * ctx: { now, busy (Set of refundKey), errors (Map refundKey → message), onRefund(refund, outcome),
 * onDismiss(key) }. Nothing is rendered for a payment without refunds.
 */
export function refundsSection(refunds, ctx) {
  if (refunds.length === 0) return undefined;
  const refunded = refunds.filter((r) => r.status === 'SUCCESS').reduce((sum, r) => sum + r.amountFen, 0);
  return h(
    'section',
    { class: 'refunds' },
    h('h3', null, `Refunds 退款 (${refunds.length}) · ${yuan(refunded)} refunded 已退`),
    h('ol', { class: 'refund-list' }, refunds.map((r) => refundItem(r, ctx))),
  );
}

/** What of the page's state changes a payment's refunds section. */
export function refundsSignature(refunds, ctx) {
  return refunds.map((r) => [r, ctx.busy.has(refundKey(r)), ctx.errors.get(refundKey(r))]);
}
