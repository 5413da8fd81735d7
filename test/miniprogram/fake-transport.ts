/** A scripted stand-in for the checkout function, recording every call. */
import type { CheckoutAction, CheckoutData, CheckoutEvent, ErrorCode, Result } from '../../typings/checkout';
import type { Transport } from '../../miniprogram/services/api';

type Handler = (event: CheckoutEvent) => Result<unknown> | Promise<Result<unknown>>;

export class FakeTransport implements Transport {
  readonly calls: CheckoutEvent[] = [];
  private handlers = new Map<CheckoutAction, Handler>();

  on<A extends CheckoutAction>(action: A, handler: (event: Extract<CheckoutEvent, { action: A }>) => Result<CheckoutData[A]> | Promise<Result<CheckoutData[A]>>): this {
    this.handlers.set(action, handler as Handler);
    return this;
  }

  callsOf(action: CheckoutAction): CheckoutEvent[] {
    return this.calls.filter((c) => c.action === action);
  }

  async call(name: string, data: object): Promise<unknown> {
    if (name !== 'checkout') throw new Error(`unexpected function ${name}`);
    const event = data as CheckoutEvent;
    this.calls.push(event);
    const handler = this.handlers.get(event.action);
    if (!handler) throw new Error(`no handler for ${event.action}`);
    return handler(event);
  }
}

export const ok = <T>(data: T): Result<T> => ({ ok: true, data });
export const fail = (code: ErrorCode, message: string): Result<never> => ({ ok: false, error: { code, message } });
