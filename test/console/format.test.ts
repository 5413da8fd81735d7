/**
 * The console's formatting: plain browser JavaScript (no build step), loaded here through jest's transform.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const format = require('../../scripts/local-host/console/format.js') as {
  yuan(fen: unknown): string;
  clock(ms: unknown, now?: number): string;
  relative(ms: number, now: number): string;
};

describe('yuan', () => {
  test.each([
    [0, '¥0.00'],
    [1, '¥0.01'],
    [99, '¥0.99'],
    [100, '¥1.00'],
    [980, '¥9.80'],
    [6800, '¥68.00'],
    [123456789, '¥1234567.89'],
    [-50, '-¥0.50'],
    [Number.MAX_SAFE_INTEGER, '¥90071992547409.91'],
  ])('%p fen → %p', (fen, text) => expect(format.yuan(fen)).toBe(text));

  test('anything but a safe integer is flagged as it is, never rounded', () => {
    for (const bad of [9.8, 0.1 + 0.2, NaN, '6800', undefined, 2 ** 53]) expect(format.yuan(bad)).toMatch(/分 \(not an integer\)$/);
    expect(format.yuan(9.8)).toBe('9.8 分 (not an integer)');
  });
});

describe('clock and relative', () => {
  const at = new Date(2026, 0, 2, 3, 4, 5).getTime();

  test('shows the time of day, and the date when it is not today', () => {
    expect(format.clock(at, at + 60_000)).toBe('03:04:05');
    expect(format.clock(at, at + 24 * 3600_000)).toBe('2026-01-02 03:04:05');
    expect(format.clock(undefined)).toBe('—');
  });

  test('says how far a retry is, from seconds to hours', () => {
    expect(format.relative(at, at)).toBe('now');
    expect(format.relative(at + 15_000, at)).toBe('in 15 s');
    expect(format.relative(at - 3_000, at)).toBe('3 s ago');
    expect(format.relative(at + 10 * 60_000, at)).toBe('in 10 min');
    expect(format.relative(at + 6 * 3600_000, at)).toBe('in 6 h');
  });
});
