/** WeChat Pay works in Beijing time (UTC+8, no daylight saving). */
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

function beijingParts(ms: number): string[] {
  const d = new Date(ms + BEIJING_OFFSET_MS);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return [
    pad(d.getUTCFullYear(), 4),
    pad(d.getUTCMonth() + 1),
    pad(d.getUTCDate()),
    pad(d.getUTCHours()),
    pad(d.getUTCMinutes()),
    pad(d.getUTCSeconds()),
  ];
}

/** v3 `time_expire`: RFC 3339 with the +08:00 offset, e.g. `2015-05-20T13:29:35+08:00`. */
export function toRfc3339Beijing(ms: number): string {
  const [y, mo, d, h, mi, s] = beijingParts(ms);
  return `${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`;
}

/** v2 `time_expire` / `time_end`: `yyyyMMddHHmmss` in Beijing time. */
export function toCompactBeijing(ms: number): string {
  return beijingParts(ms).join('');
}

/** Parses v2 `yyyyMMddHHmmss` (Beijing time) to epoch ms; undefined when malformed or not a real date. */
export function parseCompactBeijing(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec) - BEIJING_OFFSET_MS;
  // Date.UTC rolls 2024-02-30 over to March: only a date that formats back the same is real.
  return toCompactBeijing(ms) === s ? ms : undefined;
}

/** Parses an RFC 3339 timestamp (as in v3 `success_time`) to epoch ms; undefined when malformed. */
export function parseRfc3339(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** 发货信息管理 `upload_time`: RFC 3339 with milliseconds and +08:00, e.g. `2022-12-15T13:29:35.120+08:00`. */
export function toRfc3339BeijingMs(ms: number): string {
  const [y, mo, d, h, mi, s] = beijingParts(ms);
  const frac = String(((ms % 1000) + 1000) % 1000).padStart(3, '0');
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.${frac}+08:00`;
}
