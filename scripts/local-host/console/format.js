/** Text for amounts and times. Money arrives as integer fen and is only ever cut as a string. */

/** 6800 → "¥68.00". Anything that is not a safe integer is shown as it is, flagged, never rounded. */
export function yuan(fen) {
  if (!Number.isSafeInteger(fen)) return `${String(fen)} 分 (not an integer)`;
  const digits = String(Math.abs(fen)).padStart(3, '0');
  return `${fen < 0 ? '-' : ''}¥${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

const pad = (n) => String(n).padStart(2, '0');

/** Local wall-clock time, with the date when it is not today's. */
export function clock(ms, now = Date.now()) {
  if (typeof ms !== 'number') return '—';
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return new Date(now).toDateString() === d.toDateString() ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** "in 12 s", "3 min ago": for retry times, which the schedule spreads from seconds to hours. */
export function relative(ms, now) {
  const s = Math.round((ms - now) / 1000);
  const abs = Math.abs(s);
  const span = abs < 90 ? `${abs} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  if (abs === 0) return 'now';
  return s > 0 ? `in ${span}` : `${span} ago`;
}
