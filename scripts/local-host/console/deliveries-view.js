/** The notification attempts of a payment or a refund, as the emulator recorded them. */
import { h } from './dom.js';
import { clock, relative } from './format.js';

/** A time shown as a clock and kept up to date as "in 12 s" by refreshRelativeTimes. */
export function dueTime(ms, now) {
  return h('span', null, clock(ms, now), ' (', h('span', { 'data-due': ms }, relative(ms, now)), ')');
}

function deliveryRow(d, isLast, now, withEvent) {
  let next = '—';
  if (d.nextAttemptAt !== undefined) next = dueTime(d.nextAttemptAt, now);
  else if (!d.accepted && isLast) next = 'no more retries 已停止重试';
  return h(
    'tr',
    { class: `delivery ${d.accepted ? 'accepted' : 'rejected'}`, 'data-attempt': d.attempt },
    h('td', null, `#${d.attempt}`),
    withEvent && h('td', { class: 'event' }, d.event ?? ''),
    h('td', null, clock(d.at, now)),
    h('td', { class: 'http' }, d.statusCode === undefined ? 'no answer' : `HTTP ${d.statusCode}`),
    h('td', { class: 'verdict' }, d.accepted ? '✓ accepted 已接收' : '✗ not accepted 未接收'),
    h('td', null, h('code', { class: 'answer' }, d.response || '(empty)')),
    h('td', null, next),
  );
}

/** The table of attempts; a retry chain ends at its last attempt, so "no more retries" is shown per event. */
export function deliveryTable(deliveries, now) {
  const withEvent = deliveries.some((d) => d.event);
  const lastOfChain = (d, i) => !deliveries.slice(i + 1).some((x) => x.event === d.event);
  const head = h('tr', null, ...['Attempt', withEvent && 'Event', 'Sent', 'Answer', 'Verdict', 'Body', 'Next retry'].filter(Boolean).map((t) => h('th', { scope: 'col' }, t)));
  const rows = deliveries.map((d, i) => deliveryRow(d, lastOfChain(d, i), now, withEvent));
  return h('table', null, h('thead', null, head), h('tbody', null, rows));
}
