import type { EmuReply, EmuRequest } from './types';

/**
 * Faults an emulator can be told to produce on its API, to exercise the merchant side's timeouts,
 * retries and error handling (tests, and the sandbox console). Each fault fires `times` times.
 */
export type Fault =
  | { pathIncludes: string; kind: 'reply'; reply: EmuReply; times: number }
  /** Hold the request this long before answering normally (longer than the client's timeout = a timeout). */
  | { pathIncludes: string; kind: 'delay'; ms: number; times: number };

export class Faults {
  private readonly pending: Fault[] = [];

  add(fault: Fault): void {
    this.pending.push({ ...fault });
  }

  clear(): void {
    this.pending.length = 0;
  }

  /** Returns (and uses up one firing of) the first fault matching this request. */
  take(req: EmuRequest): Fault | undefined {
    const i = this.pending.findIndex((f) => req.path.includes(f.pathIncludes));
    if (i < 0) return undefined;
    const f = this.pending[i];
    if (--f.times <= 0) this.pending.splice(i, 1);
    return f;
  }
}

/** Every request an emulator received, so tests can check what was sent (e.g. identical retries). */
export interface ReceivedRequest {
  method: string;
  path: string;
  body: string;
  at: number;
}
