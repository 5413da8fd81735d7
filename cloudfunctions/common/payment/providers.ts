import type { PayMethod } from '../../../typings/checkout';
import type { Config } from '../config';
import { AppError } from '../errors';
import { payjsRegistration } from '../payjs/registration';
import { wxpayV2Registration } from '../wxpay/v2/registration';
import { wxpayV3Registration } from '../wxpay/v3/registration';
import type { HttpRequestLike } from './gateway';
import type { PaymentAttempt, PaymentProvider, ProviderName } from './provider';
import type { RetryPolicy } from './retry';

/**
 * The one registry of payment providers. A provider is one folder (its `provider.ts` implements
 * PaymentProvider, its `registration.ts` says when it applies) plus one line in REGISTRATIONS.
 *
 * For code that uses providers (orders/, the functions):
 * - `ctx.providers.forOrder(order)`: the provider the order's trade was placed with (from
 *   `order.payment.provider`), or undefined when this deployment no longer has it configured. Use it
 *   for everything after the payment started: query, close, refund, queryRefund.
 * - `ctx.providers.forMethod(method)`: the provider for a new payment (METHOD_UNAVAILABLE if none).
 * - `ctx.providers.forNotification(req)`: the configured provider whose notifications look like this
 *   request; then `provider.readNotification(req, ctx)` gives a verified `ProviderNotification`
 *   (`{ kind: 'payment', report }` or `{ kind: 'refund', report }`), and `ackNotification` /
 *   `rejectNotification` answer it.
 * - Refunds: `provider.refund({ outTradeNo, providerOrderId } from tradeOf(order) (orders/context.ts),
 *   outRefundNo, totalFen: order.amountFen, amountFen, reason? })` and `provider.queryRefund(…)` answer a
 *   RefundReport (payment/refund.ts). The apply answer is usually PROCESSING ("accepted"); PAYJS answers
 *   SUCCESS (final) and refunds only whole orders (else REFUND_UNAVAILABLE); v2 without its certificate
 *   answers REFUND_UNAVAILABLE. Reports name out_refund_no and, when the provider states them, the
 *   order number and amounts: compare them with the stored refund before any change.
 *
 * Implementations are `require()`d on first use (see each registration's `load`), so a deployment
 * never evaluates the code of a provider it does not use, e.g. v2's XML library on a v3 deployment
 * (scripts/build.mjs ships that library as a separate file beside index.js).
 */

export interface ProviderOptions {
  retry?: RetryPolicy;
  timeoutMs?: number;
  now?: () => number;
}

export interface ProviderRegistration {
  name: ProviderName;
  label: string;
  methods: readonly PayMethod[];
  /** Whether the configuration sets this provider up. */
  configured(config: Config): boolean;
  /** Whether a request has the form of this provider's notifications (cheap: nothing is verified). */
  recognises(req: HttpRequestLike): boolean;
  /** Requires the implementation and builds it; only called when `configured`. */
  load(config: Config, options: ProviderOptions): PaymentProvider;
}

/** In recognition order: each one's notifications are recognisable by their form. */
const REGISTRATIONS: readonly ProviderRegistration[] = [wxpayV3Registration, payjsRegistration, wxpayV2Registration];

/** Which provider's notification a request looks like, configured or not. */
export function routeOf(req: HttpRequestLike): ProviderName | undefined {
  return REGISTRATIONS.find((r) => r.recognises(req))?.name;
}

export interface Providers {
  forOrder(order: { payment?: PaymentAttempt }): PaymentProvider | undefined;
  forMethod(method: PayMethod): PaymentProvider;
  forNotification(req: HttpRequestLike): PaymentProvider | undefined;
  named(name: ProviderName): PaymentProvider | undefined;
}

export function createProviders(config: Config, options: ProviderOptions = {}): Providers {
  const configured = REGISTRATIONS.filter((r) => r.configured(config));
  const loaded = new Map<ProviderName, PaymentProvider>();
  const instance = (r: ProviderRegistration): PaymentProvider => {
    let p = loaded.get(r.name);
    if (!p) loaded.set(r.name, (p = r.load(config, options)));
    return p;
  };
  const named = (name: ProviderName) => {
    const r = configured.find((c) => c.name === name);
    return r && instance(r);
  };
  return {
    named,
    forOrder: (order) => (order.payment ? named(order.payment.provider) : undefined),
    forMethod(method) {
      const r = configured.find((c) => c.methods.includes(method));
      if (r) return instance(r);
      const label = REGISTRATIONS.find((c) => c.methods.includes(method))?.label ?? method;
      throw new AppError('METHOD_UNAVAILABLE', `${label} is not configured on this deployment.`);
    },
    forNotification(req) {
      const name = routeOf(req);
      return name && named(name);
    },
  };
}
