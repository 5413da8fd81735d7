import { randomBytes } from 'node:crypto';
import { parseFen } from '../../../cloudfunctions/common/money';
import { encodeForm, FormError, parseForm } from '../../../cloudfunctions/common/payjs/form';
import { PAYJS_LIMITS } from '../../../cloudfunctions/common/payjs/jump';
import { signPayjs, verifyPayjsSign, type PayjsParams } from '../../../cloudfunctions/common/payjs/sign';
import { formatPayjsTime } from '../../../cloudfunctions/common/payjs/time';
import { Faults, type ReceivedRequest } from './faults';
import type { NotificationJob, Notifier } from './notifier';
import { EmulatorRefusal, jsonReply, type EmulatedPayment, type EmulatedRefund, type Emulator, type EmuReply, type EmuRequest, type PayerOutcome } from './types';
import { readSavedRefunds, RefundLedger, RefundRuleError } from './refunds';
import { applyPayerOutcome } from './payer';
import { persistRecords } from './persisted-records';
import { readSavedPayment, SavedRecord } from './saved-record';
import type { StateStore } from './state-file';

/**
 * PAYJS as the local host plays it: the PAYJS mini-program the shop jumps to (`jump`), the payer's
 * choice in it (`settle`), the signed form notification, `POST /api/check`, `POST /api/close` and
 * `POST /api/refund`. A PAYJS refund takes the whole order and is done when answered (return_code 1),
 * so it is recorded as SUCCESS at once and sends no notification (PAYJS documents none). Inferred: a
 * second refund of the same order answers return_code 0; check still answers status 1 (paid) after it.
 */

/** PAYJS redelivers at 0, 15, 30, 180, 1800 and 3600 s: the delays between those attempts. */
export const PAYJS_NOTIFY_SCHEDULE_MS = [15_000, 15_000, 150_000, 1_620_000, 1_800_000];

/** PAYJS counts a notification as received only on HTTP 200 with the body `success`. */
export function isPayjsNotifyAccepted(statusCode: number, body: string): boolean {
  return statusCode === 200 && body.trim() === 'success';
}

export interface PayjsEmulatorOptions {
  mchid: string;
  key: string;
  notifier: Notifier;
  faults?: Faults;
  now?: () => number;
  /** Keeps the orders across restarts of the local host; without it they live in memory only. */
  store?: StateStore<PayjsOrder>;
}

/** A PAYJS order as the state file keeps it. */
export interface PayjsOrder {
  payment: EmulatedPayment;
  attach?: string;
  refunds: EmulatedRefund[];
}

function readSavedOrder(saved: unknown): PayjsOrder {
  const r = SavedRecord.of(saved);
  const payment = readSavedPayment(r.record('payment'), 'payjs');
  return { payment, attach: r.optString('attach'), refunds: readSavedRefunds(saved, payment) };
}

export type PayjsEmulator = Emulator & {
  received: ReceivedRequest[];
  faults: Faults;
  /** What the PAYJS mini-program does when opened with `extraData`; refusals are EmulatorRefusal. */
  jump(extraData: Record<string, unknown>): EmulatedPayment;
};

interface ApiRoute {
  answer(form: Record<string, string>): EmuReply | Promise<EmuReply>;
  /** Where a refusal's reason goes. */
  messageField: 'msg' | 'return_msg';
}

const digits = (n: number): string => Array.from(randomBytes(n), (b) => String(b % 10)).join('');
const chars = (s: string): number => Array.from(s).length;

export function createPayjsEmulator(opts: PayjsEmulatorOptions): PayjsEmulator {
  const now = opts.now ?? Date.now;
  const faults = opts.faults ?? new Faults();
  const received: ReceivedRequest[] = [];
  const payments = new Map<string, EmulatedPayment>();
  const attaches = new Map<string, string>();
  /** Each order's refunds (PAYJS allows one, of the whole order); absent = none. */
  const refundsOf = new Map<string, EmulatedRefund[]>();
  const recordOf = (payment: EmulatedPayment): PayjsOrder => {
    let list = refundsOf.get(payment.id);
    if (!list) refundsOf.set(payment.id, (list = []));
    return { payment, attach: attaches.get(payment.id), refunds: list };
  };
  const persisted = persistRecords(opts.store, readSavedOrder, () => [...payments.values()].map(recordOf));
  const refunds = new RefundLedger({
    provider: 'payjs',
    notifier: opts.notifier,
    now,
    save: () => persisted.save(),
    newRefundId: () => `${formatPayjsTime(now()).replace(/\D/g, '')}${digits(10)}`,
    notification: () => undefined,
  });
  for (const { payment, attach, refunds: saved } of persisted.restored) {
    payments.set(payment.id, payment);
    if (attach !== undefined) attaches.set(payment.id, attach);
    refundsOf.set(payment.id, saved);
    refunds.restore(recordOf(payment));
  }

  function readExtraData(extraData: Record<string, unknown>): PayjsParams {
    const params: PayjsParams = {};
    for (const [name, value] of Object.entries(extraData)) {
      if (value !== null && value !== undefined && typeof value !== 'string' && typeof value !== 'number') {
        throw new EmulatorRefusal(`extraData.${name} must be a string or a number`);
      }
      if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new EmulatorRefusal(`extraData.${name} is not an integer`);
      params[name] = value;
    }
    return params;
  }

  function jump(extraData: Record<string, unknown>): EmulatedPayment {
    const p = readExtraData(extraData);
    if (p.mchid !== opts.mchid) throw new EmulatorRefusal(`unknown mchid ${JSON.stringify(p.mchid)}`);
    if (!verifyPayjsSign(p, opts.key)) throw new EmulatorRefusal('sign does not verify');
    const amountFen = parseFen(p.total_fee);
    if (amountFen === undefined) throw new EmulatorRefusal(`total_fee ${JSON.stringify(p.total_fee)} is not a whole number of fen above 0`);
    const outTradeNo = typeof p.out_trade_no === 'string' ? p.out_trade_no : '';
    if (outTradeNo === '' || chars(outTradeNo) > PAYJS_LIMITS.outTradeNo) throw new EmulatorRefusal(`out_trade_no must be 1–${PAYJS_LIMITS.outTradeNo} characters`);
    const body = p.body === undefined || p.body === null ? '' : String(p.body);
    if (chars(body) > PAYJS_LIMITS.body) throw new EmulatorRefusal(`body is longer than ${PAYJS_LIMITS.body} characters`);
    const attach = p.attach === undefined || p.attach === null ? undefined : String(p.attach);
    if (attach !== undefined && chars(attach) > PAYJS_LIMITS.attach) throw new EmulatorRefusal(`attach is longer than ${PAYJS_LIMITS.attach} characters`);
    if (typeof p.nonce !== 'string' || p.nonce === '') throw new EmulatorRefusal('nonce is missing');

    const existing = [...payments.values()].find((x) => x.outTradeNo === outTradeNo);
    if (existing) {
      if (existing.amountFen !== amountFen) throw new EmulatorRefusal(`out_trade_no ${outTradeNo} was placed with another total_fee`);
      if (existing.status === 'PAID') throw new EmulatorRefusal(`out_trade_no ${outTradeNo} is already paid`, 409);
      if (existing.status === 'CLOSED') throw new EmulatorRefusal(`out_trade_no ${outTradeNo} is closed`, 409);
      existing.status = 'WAITING';
      persisted.save();
      return existing;
    }
    const createdAt = now();
    const payment: EmulatedPayment = {
      id: `${formatPayjsTime(createdAt).replace(/\D/g, '')}${digits(10)}`,
      provider: 'payjs',
      tradeType: 'PAYJS',
      outTradeNo,
      mchid: opts.mchid,
      amountFen,
      description: body,
      status: 'WAITING',
      createdAt,
      notifyUrl: typeof p.notify_url === 'string' ? p.notify_url : '',
      deliveries: [],
    };
    payments.set(payment.id, payment);
    if (attach !== undefined) attaches.set(payment.id, attach);
    persisted.save();
    return payment;
  }

  function notification(payment: EmulatedPayment): { headers: Record<string, string>; body: string } {
    // Every documented field is sent, attach empty when the order had none: the sign leaves it out.
    const fields: Record<string, string | number | undefined> = {
      return_code: 1,
      total_fee: payment.amountFen,
      out_trade_no: payment.outTradeNo,
      payjs_order_id: payment.id,
      transaction_id: payment.transactionId,
      time_end: formatPayjsTime(payment.paidAt ?? now()),
      openid: payment.openid,
      attach: attaches.get(payment.id) ?? '',
      mchid: payment.mchid,
    };
    return {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: encodeForm({ ...fields, sign: signPayjs(fields, opts.key) }),
    };
  }

  async function settle(id: string, outcome: PayerOutcome): Promise<EmulatedPayment> {
    const payment = payments.get(id);
    if (!payment) throw new EmulatorRefusal(`no PAYJS order ${id}`, 404);
    const paidAt = applyPayerOutcome(payment, outcome, now());
    if (paidAt === undefined) {
      persisted.save();
      return payment;
    }
    payment.transactionId = `42000${digits(23)}`;
    payment.openid = `o${randomBytes(20).toString('base64url').slice(0, 27)}`;
    persisted.save();
    // Without a notify_url PAYJS has nowhere to send: the shop learns of the payment by check only.
    if (payment.notifyUrl !== '') await opts.notifier.send(payment, paymentJob(payment));
    return payment;
  }

  /** A paid order's notification delivery, from its record: when it is paid, and at start for one an earlier run left pending. */
  function paymentJob(payment: EmulatedPayment): NotificationJob {
    return { build: () => notification(payment), recorded: () => persisted.save() };
  }

  function signed(fields: PayjsParams): EmuReply {
    return jsonReply(200, { ...fields, sign: signPayjs(fields, opts.key) });
  }

  /** Answers an API request whose form is signed; anything else gets a signed refusal. */
  function answerSigned(req: EmuRequest, route: ApiRoute): EmuReply | Promise<EmuReply> {
    const refuse = (message: string) => signed({ return_code: 0, [route.messageField]: message });
    let form: Record<string, string>;
    try {
      form = parseForm(req.rawBody);
    } catch (e) {
      if (e instanceof FormError) return refuse(e.message);
      throw e;
    }
    if (!verifyPayjsSign(form, opts.key)) return refuse('sign error');
    return route.answer(form);
  }

  function check(form: Record<string, string>): EmuReply {
    const payment = payments.get(form.payjs_order_id ?? '');
    if (!payment) return signed({ return_code: 0, msg: 'order not found' });
    const paid = payment.status === 'PAID';
    return signed({
      return_code: 1,
      mchid: payment.mchid,
      out_trade_no: payment.outTradeNo,
      payjs_order_id: payment.id,
      transaction_id: paid ? payment.transactionId : undefined,
      status: paid ? 1 : 0,
      openid: paid ? payment.openid : undefined,
      total_fee: payment.amountFen,
      paid_time: paid && payment.paidAt !== undefined ? formatPayjsTime(payment.paidAt) : undefined,
      attach: attaches.get(payment.id),
    });
  }

  /** A waiting (or failed) order closes; closing a closed one again is no error; a paid one is refused. */
  function close(form: Record<string, string>): EmuReply {
    const payment = payments.get(form.payjs_order_id ?? '');
    if (!payment) return signed({ return_code: 0, return_msg: 'order not found', payjs_order_id: form.payjs_order_id });
    if (payment.status === 'PAID') return signed({ return_code: 0, return_msg: '订单已支付，无法关闭', payjs_order_id: payment.id });
    if (payment.status !== 'CLOSED') {
      payment.status = 'CLOSED';
      persisted.save();
    }
    return signed({ return_code: 1, return_msg: 'SUCCESS', payjs_order_id: payment.id });
  }

  /** The whole paid order goes back to the payer; the refund is named by the PAYJS order id. */
  async function refund(form: Record<string, string>): Promise<EmuReply> {
    const payment = payments.get(form.payjs_order_id ?? '');
    if (!payment) return signed({ return_code: 0, return_msg: 'order not found', payjs_order_id: form.payjs_order_id });
    let created: boolean;
    try {
      ({ created } = refunds.apply(recordOf(payment), { outRefundNo: payment.id, refundFen: payment.amountFen, totalFen: payment.amountFen, notifyUrl: '' }));
    } catch (e) {
      if (e instanceof RefundRuleError && e.problem === 'NOT_PAID') return signed({ return_code: 0, return_msg: '订单未支付，无法退款', payjs_order_id: payment.id });
      throw e;
    }
    if (!created) return signed({ return_code: 0, return_msg: '订单已退款', payjs_order_id: payment.id });
    await refunds.settle(payment.id, 'succeed');
    return signed({ return_code: 1, return_msg: 'SUCCESS', payjs_order_id: payment.id, out_trade_no: payment.outTradeNo, transaction_id: payment.transactionId });
  }

  // A failed check adds `msg`; close and refund always answer `return_msg` (help.payjs.cn).
  const routes: Record<string, ApiRoute> = {
    '/api/check': { answer: check, messageField: 'msg' },
    '/api/close': { answer: close, messageField: 'return_msg' },
    '/api/refund': { answer: refund, messageField: 'return_msg' },
  };

  async function handle(req: EmuRequest): Promise<EmuReply | undefined> {
    const route = Object.prototype.hasOwnProperty.call(routes, req.path) ? routes[req.path] : undefined;
    if (!route) return undefined;
    received.push({ method: req.method, path: req.path, body: req.rawBody.toString('utf8'), at: now() });
    const fault = faults.take(req);
    if (fault?.kind === 'reply') return fault.reply;
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (req.method !== 'POST') return jsonReply(405, { return_code: 0, [route.messageField]: 'POST only' });
    return answerSigned(req, route);
  }

  /** PAYJS refunds are final once answered: there is nothing left to settle. */
  async function settleRefund(outRefundNo: string): Promise<EmulatedRefund> {
    const r = refunds.get(outRefundNo);
    if (!r) throw new EmulatorRefusal(`no PAYJS refund ${outRefundNo}`, 404);
    throw new EmulatorRefusal('a PAYJS refund is done when PAYJS answers it: there is nothing to settle', 409);
  }

  for (const { payment } of persisted.restored) opts.notifier.resume(payment, paymentJob(payment));

  return {
    provider: 'payjs',
    received,
    faults,
    jump,
    settle,
    handle,
    list: () => [...payments.values()],
    findPayment: (id) => payments.get(id),
    listRefunds: () => refunds.list(),
    settleRefund,
  };
}
