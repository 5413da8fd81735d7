import { parseCompactBeijing, toCompactBeijing } from '../time';

/**
 * PAYJS times (`time_end`, `paid_time`) are Beijing wall-clock strings, `yyyy-MM-dd HH:mm:ss`. The
 * compact `yyyyMMddHHmmss` of WeChat Pay v2 (which PAYJS relays) is accepted too.
 */
export function parsePayjsTime(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s) ?? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  return m ? parseCompactBeijing(m.slice(1).join('')) : undefined;
}

/** Formats epoch ms as PAYJS does: `yyyy-MM-dd HH:mm:ss`, Beijing time. */
export function formatPayjsTime(ms: number): string {
  const c = toCompactBeijing(ms);
  return `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)} ${c.slice(8, 10)}:${c.slice(10, 12)}:${c.slice(12, 14)}`;
}
