import { AppError } from '../../common/errors';
import type { OrderContext } from '../../common/orders/context';
import { applyNotification } from '../../common/orders/reconcile';
import { applyRefundReport, type RefundOutcome } from '../../common/orders/refunds-report';
import type { OrderDoc } from '../../common/orders/model';
import type { SettleOutcome } from '../../common/orders/transitions';
import { NotificationRejected, type HttpReply, type HttpRequestLike } from '../../common/payment/gateway';
import type { PaymentProvider } from '../../common/payment/provider';
import type { ProviderNotification } from '../../common/payment/refund';
import { toAccessReply, toHttpRequest, type HttpAccessEvent, type HttpAccessReply } from './http-event';

const plain = (statusCode: number, body: string): HttpReply => ({ statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body });

/**
 * What the provider is told when we refuse a notification: one short sentence per class, since the
 * reply goes to whoever sent the request (a forger included). The detail goes to the function log.
 */
export const REJECTION_REASONS = {
  SIGNATURE: 'notification could not be verified',
  MALFORMED: 'malformed notification',
  UNKNOWN: 'unknown order or refund',
  MISMATCH: 'notification does not match our records',
} as const;

/** A NotificationRejected's class, from its status code (401: signature, key, decryption; 400: form). */
const rejectedReason = (statusCode: 400 | 401): string => (statusCode === 401 ? REJECTION_REASONS.SIGNATURE : REJECTION_REASONS.MALFORMED);

/** Accepted outcomes stop the provider's redelivery; the rest make it send again (and change nothing). */
function answer(outcome: SettleOutcome, provider: PaymentProvider): HttpReply {
  switch (outcome) {
    case 'PAID':
    case 'DUPLICATE':
    case 'PAID_AFTER_CLOSE':
    case 'NOT_PAID':
      return provider.ackNotification();
    case 'UNKNOWN_ORDER':
      return provider.rejectNotification(404, REJECTION_REASONS.UNKNOWN);
    case 'MISMATCH':
      return provider.rejectNotification(400, REJECTION_REASONS.MISMATCH);
  }
}

/** Refund reports: a repeat is acknowledged (it changed nothing); what we cannot apply is sent again. */
function answerRefund(outcome: RefundOutcome, provider: PaymentProvider): HttpReply {
  switch (outcome) {
    case 'APPLIED':
    case 'UNCHANGED':
      return provider.ackNotification();
    case 'UNKNOWN_REFUND':
      return provider.rejectNotification(404, REJECTION_REASONS.UNKNOWN);
    case 'MISMATCH':
      return provider.rejectNotification(400, REJECTION_REASONS.MISMATCH);
    case 'CONFLICT':
      // Another final status is already recorded: the report does not match what we hold.
      return provider.rejectNotification(409, REJECTION_REASONS.MISMATCH);
  }
}

/** One notify URL serves every provider: the registry finds the configured one whose notifications look like this. */
async function dispatch(ctx: OrderContext, req: HttpRequestLike): Promise<HttpReply> {
  if (req.method !== 'POST') return plain(405, 'POST only');
  const provider = ctx.providers.forNotification(req);
  if (!provider) return plain(400, 'not a notification this deployment accepts');
  // v2 reads the order for its sign type before verifying; settling then uses that read, not a second one.
  let known: OrderDoc | undefined;
  const signTypeOf = async (outTradeNo: string) => (known = await ctx.repo.findByOutTradeNo(outTradeNo))?.payment?.signType;
  let note: ProviderNotification;
  try {
    note = await provider.readNotification(req, { signTypeOf });
  } catch (err) {
    if (err instanceof NotificationRejected) {
      console.warn(`[payNotify] rejected ${provider.name} notification: ${err.message}`);
      return provider.rejectNotification(err.statusCode, rejectedReason(err.statusCode));
    }
    throw err;
  }
  if (note.kind === 'refund') {
    const { outcome } = await applyRefundReport(ctx, note.report, 'notify');
    const { outRefundNo, outTradeNo, status, amountFen } = note.report;
    if (outcome === 'APPLIED' || outcome === 'UNCHANGED') console.log(`[payNotify] ${provider.name} refund ${outRefundNo}: ${outcome}`);
    else console.warn(`[payNotify] ${provider.name} refund ${outRefundNo}: ${outcome}`, { outTradeNo, status, amountFen });
    return answerRefund(outcome, provider);
  }
  const { outcome } = await applyNotification(ctx, provider, note.report, known);
  // A mismatch's details are logged (and kept on the order) by settlePayment.
  (outcome === 'UNKNOWN_ORDER' || outcome === 'MISMATCH' ? console.warn : console.log)(`[payNotify] ${provider.name} ${note.report.outTradeNo}: ${outcome}`);
  return answer(outcome, provider);
}

/** The payNotify function: verifies and applies WeChat Pay (v3, v2) and PAYJS notifications. */
export async function handleNotify(event: HttpAccessEvent, ctx: OrderContext | AppError): Promise<HttpAccessReply> {
  if (ctx instanceof AppError) return toAccessReply(plain(500, 'payNotify is not configured; see the function log'));
  try {
    return toAccessReply(await dispatch(ctx, toHttpRequest(event)));
  } catch (err) {
    // Storage or other failures: 500 makes the provider deliver again later.
    console.error('[payNotify] failed', err);
    return toAccessReply(plain(500, 'internal error'));
  }
}
