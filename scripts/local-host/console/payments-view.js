/** One payment at an emulator: what the payer can still do with it, and the notifications it caused. */
import { qrImageUrl } from './api.js';
import { deliveryTable } from './deliveries-view.js';
import { h } from './dom.js';
import { clock, relative, yuan } from './format.js';
import { refundsSection, refundsSignature } from './refunds-view.js';

const PROVIDERS = { 'wxpay-v3': 'WeChat Pay v3', 'wxpay-v2': 'WeChat Pay v2', payjs: 'PAYJS' };
const STATUS = { WAITING: 'waiting 待支付', PAID: 'paid 已支付', FAILED: 'failed 支付失败', CLOSED: 'closed 已关闭' };
const LAST_OUTCOME = { pay: 'paid 已付款', cancel: 'cancelled 用户取消', fail: 'failed 支付失败' };
const ACTIONS = [
  ['pay', 'Pay 支付', 'the payer confirms: the emulator sends the signed notification'],
  ['cancel', 'Cancel 取消', 'the payer closes the wallet sheet: the trade stays unpaid'],
  ['fail', 'Fail 失败', 'the payment fails in the wallet (PAYERROR)'],
];

/** A term and its value; `wide` values (long ids) take the rest of their row. */
function fact(term, value, wide = false) {
  return value === undefined || value === '' ? undefined : [h('dt', null, term), h('dd', { class: wide && 'wide' }, value)];
}

function deliveries(p, now) {
  if (p.deliveries.length === 0) {
    const why = p.status === 'WAITING' ? 'none yet: sent to payNotify when the payer pays.' : 'none were sent.';
    return h('section', { class: 'deliveries' }, h('h3', null, 'Notifications 支付通知: ', h('span', { class: 'muted' }, why)));
  }
  const title = h('h3', null, `Notifications 支付通知 (${p.deliveries.length})`);
  return h('section', { class: 'deliveries' }, title, deliveryTable(p.deliveries, now));
}

function qr(codeUrl) {
  return h(
    'figure',
    { class: 'qr' },
    h('img', { src: qrImageUrl(codeUrl), width: 132, height: 132, alt: `QR code for ${codeUrl}` }),
    h('figcaption', null, h('code', null, codeUrl)),
  );
}

/**
 * ctx: { now, order (the stored order with this outTradeNo, if listed), busy, error, onAction(id, outcome),
 * onDismiss(id), refunds (this payment's), refundCtx (see refundsSection) }. Every ctx field that
 * changes the output is part of paymentSignature.
 */
export function renderPayment(p, ctx) {
  const waiting = p.status === 'WAITING';
  const label = `${p.outTradeNo} (${yuan(p.amountFen)})`;
  const facts = h(
    'dl',
    { class: 'facts' },
    fact('out_trade_no', p.outTradeNo, true),
    fact('Payment id', p.id, true),
    fact('Transaction 交易号', p.transactionId, true),
    fact('Payer openid', p.openid, true),
    fact('Order 订单', ctx.order ? ctx.order.status : undefined),
    fact('Payer did 用户操作', p.lastOutcome ? LAST_OUTCOME[p.lastOutcome] : undefined),
    fact('Created 创建', clock(p.createdAt, ctx.now)),
    fact('Expires 过期', p.expiresAt === undefined ? undefined : clock(p.expiresAt, ctx.now)),
    fact('Paid at 支付时间', p.paidAt === undefined ? undefined : clock(p.paidAt, ctx.now)),
  );
  const actions =
    waiting &&
    h(
      'div',
      { class: 'actions', role: 'group', 'aria-label': `Payer's wallet for ${label}` },
      ACTIONS.map(([outcome, text, why]) =>
        h('button', { type: 'button', class: `act ${outcome}`, 'data-outcome': outcome, title: why, disabled: ctx.busy, 'aria-label': `${text}: ${label}`, onclick: () => ctx.onAction(p.id, outcome) }, text),
      ),
      ctx.busy && h('span', { class: 'muted', role: 'status' }, 'sending…'),
    );
  const error =
    ctx.error &&
    h('p', { class: 'error', role: 'alert' }, `Refused 被拒绝: ${ctx.error} `, h('button', { type: 'button', class: 'dismiss', 'aria-label': 'Dismiss this message', onclick: () => ctx.onDismiss(p.id) }, '×'));
  return h(
    'li',
    { class: `card ${p.status.toLowerCase()}`, 'data-payment': p.id, 'data-status': p.status },
    h(
      'div',
      { class: 'card-head' },
      h('span', { class: 'provider' }, `${PROVIDERS[p.provider] ?? p.provider} · ${p.tradeType}`),
      h('span', { class: `badge ${p.status.toLowerCase()}` }, STATUS[p.status] ?? p.status),
      h('strong', { class: 'amount' }, yuan(p.amountFen)),
    ),
    h('p', { class: 'desc' }, p.description),
    h('div', { class: 'card-body' }, h('div', { class: 'card-main' }, facts, actions, error), p.codeUrl && waiting ? qr(p.codeUrl) : undefined),
    deliveries(p, ctx.now),
    refundsSection(ctx.refunds, ctx.refundCtx),
  );
}

export function paymentSignature(p, ctx) {
  return JSON.stringify([p, ctx.order?.status, ctx.busy, ctx.error, refundsSignature(ctx.refunds, ctx.refundCtx)]);
}

/** Updates the "in 12 s" texts in place, so the once-a-second tick re-renders nothing else. */
export function refreshRelativeTimes(root, now) {
  for (const el of root.querySelectorAll('[data-due]')) {
    const text = relative(Number(el.dataset.due), now);
    if (el.textContent !== text) el.textContent = text;
  }
}
