/** One row of the orders table: an order as the checkout function stored it. */
import { h } from './dom.js';
import { clock, yuan } from './format.js';

const STATUS = { PENDING: 'pending 待支付', PAID: 'paid 已支付', CLOSED: 'closed 已关闭', REFUNDED: 'refunded 已退款' };
const METHODS = { wechat: 'WeChat Pay (JSAPI)', native: 'Scan-to-pay (Native)', payjs: 'PAYJS' };

function outcome(o, now) {
  if (o.status === 'PAID') return `paid 支付 ${clock(o.paidAt, now)}`;
  if (o.status === 'CLOSED') return `${o.closeReason === 'EXPIRED' ? 'expired 已过期' : 'cancelled 已取消'} ${clock(o.closedAt, now)}`;
  return `expires 过期 ${clock(o.expiresAt, now)}`;
}

/**
 * What needs a person about the payment: a trade state not verified (待核对; the sandbox shows the
 * internal lastError, staff pages only its cause) and verified reports that did not match (支付异常).
 */
function attention(o, now) {
  const out = [];
  const r = o.needsReconciliation;
  if (r) {
    out.push(h('div', { class: 'attention reconcile' }, h('span', { class: 'badge failed' }, 'needs reconciliation 待核对'), ` ${r.attempts} failed check(s) since ${clock(r.since, now)}: ${r.cause ?? ''} ${r.lastError ?? ''}`));
  }
  for (const a of o.paymentAnomalies ?? []) {
    const said = [a.state, a.amountFen !== undefined && `amount ${yuan(a.amountFen)}`, a.mchid && `mchid ${a.mchid}`, a.appid && `appid ${a.appid}`, a.transactionId && `transaction ${a.transactionId}`].filter(Boolean).join(', ');
    out.push(h('div', { class: 'attention anomaly' }, h('span', { class: 'badge failed' }, 'payment anomaly 支付异常'), ` ${a.via} ${clock(a.at, now)}: ${said}`));
  }
  return out;
}

export function renderOrder(o, now) {
  const items = (o.items ?? []).map((i) => h('li', null, `${i.name} × ${i.quantity}`));
  return h(
    'tr',
    { 'data-order': o._id, 'data-status': o.status },
    h('td', null, h('code', null, o.outTradeNo), o._openid && h('div', { class: 'muted' }, `buyer ${o._openid}`)),
    h('td', null, h('span', { class: `badge ${String(o.status).toLowerCase()}` }, STATUS[o.status] ?? o.status), h('div', { class: 'muted' }, o.payMethod ? METHODS[o.payMethod] ?? o.payMethod : '—')),
    h('td', { class: 'amount' }, yuan(o.amountFen), o.refundedFen > 0 && h('div', { class: 'muted' }, `refunded 已退 ${yuan(o.refundedFen)}`)),
    h('td', null, h('ul', { class: 'items' }, items)),
    h('td', null, h('div', null, `created 创建 ${clock(o.createdAt, now)}`), h('div', { class: 'muted' }, outcome(o, now)), attention(o, now)),
  );
}

export function orderSignature(o) {
  return JSON.stringify(o);
}
