/**
 * The Fulfilment section: each paid order's fulfilment (hook state, shipping, receipt) as the checkout
 * function stored it, what the 发货信息管理 emulator holds of it (order_state), and the payer's
 * 确认收货 in WeChat's receipt page, which only the payer's phone would offer.
 */
import { h } from './dom.js';
import { clock } from './format.js';

const FULFILMENT = { UNSHIPPED: 'unshipped 待发货', SHIPPED: 'shipped 已发货', RECEIVED: 'received 已收货' };
const WECHAT_STATE = { 1: '1 待发货', 2: '2 已发货', 3: '3 确认收货', 4: '4 交易完成', 5: '5 已退款', 6: '6 资金待结算' };
const LOGISTICS = { EXPRESS: 'express 快递', LOCAL_DELIVERY: '同城配送', VIRTUAL: 'virtual 虚拟发货', PICKUP: 'pick-up 自提' };

function hooks(task, now) {
  if (!task) return '—';
  const text = `${task.types.join(', ')}: ${task.state}, ${task.attempts} attempt(s)`;
  return h(
    'div',
    null,
    h('span', { class: `badge ${task.state === 'failed' ? 'closed' : task.state === 'done' ? 'paid' : 'pending'}` }, text),
    task.lastError && h('div', { class: 'error' }, task.lastError),
    task.state === 'pending' && h('div', { class: 'muted' }, `next attempt ${clock(task.nextAttemptAt, now)}`),
  );
}

function shipping(f, now) {
  const s = f.shipping;
  if (!s) return '—';
  return h(
    'div',
    null,
    h('div', null, [LOGISTICS[s.logistics] ?? s.logistics, s.expressCompany, s.trackingNo].filter(Boolean).join(' ')),
    h('div', { class: 'muted' }, `${s.upload}${s.reshipped ? ' · re-shipped' : ''} · ${clock(f.shippedAt, now)}`),
  );
}

/** ctx: { now, record (the emulator's, or undefined), busy, error, onConfirm(order), onDismiss(key) } */
export function renderFulfilment(o, ctx) {
  const f = o.fulfilment;
  const key = `receipt:${o._id}`;
  const canConfirm = ctx.record && ctx.record.orderState === 2;
  return h(
    'tr',
    { 'data-fulfilment': o._id, 'data-state': f.state },
    h('td', null, h('code', null, o.outTradeNo)),
    h('td', null, h('span', { class: 'badge' }, f.endedAt ? 'ended 已退款' : FULFILMENT[f.state] ?? f.state), f.receivedAt && h('div', { class: 'muted' }, `received ${clock(f.receivedAt, ctx.now)}`)),
    h('td', null, hooks(o.fulfilmentTask, ctx.now)),
    h('td', null, shipping(f, ctx.now)),
    h('td', null, ctx.record ? `order_state ${WECHAT_STATE[ctx.record.orderState] ?? ctx.record.orderState}` : '—'),
    h(
      'td',
      null,
      canConfirm &&
        h('button', { class: 'confirm-receipt', disabled: ctx.busy, onclick: () => ctx.onConfirm(o) }, 'Payer confirms 确认收货'),
      ctx.error && h('div', { class: 'error', role: 'alert' }, ctx.error, ' ', h('button', { class: 'link', onclick: () => ctx.onDismiss(key) }, 'dismiss')),
    ),
  );
}

export function fulfilmentSignature(o, ctx) {
  return JSON.stringify([o.fulfilment, o.fulfilmentTask, ctx.record?.orderState, ctx.busy, ctx.error]);
}

export const receiptKey = (o) => `receipt:${o._id}`;
