import { parseCompactBeijing, toCompactBeijing } from '../time';

/**
 * PAYJS times (`time_end`, `paid_time`) are Beijing wall-clock strings, `yyyy-MM-dd HH:mm:ss`. The
 * compact `yyyyMMddHHmmss` of WeChat Pay v2 (which PAYJS relays) is accepted too.
 */
export function parsePayjsTime(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s) ?? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) return undefined;
  const compact = m.slice(1).join('');
  const ms = parseCompactBeijing(compact);
  // Date.UTC rolls 2024-02-30 over to March: only a date that formats back the same is real.
  return ms !== undefined && toCompactBeijing(ms) === compact ? ms : undefined;
}

/** Formats epoch ms as PAYJS does: `yyyy-MM-dd HH:mm:ss`, Beijing time. */
export function formatPayjsTime(ms: number): string {
  const c = toCompactBeijing(ms);
  return `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)} ${c.slice(8, 10)}:${c.slice(10, 12)}:${c.slice(12, 14)}`;
}
