import { codeUrlOf } from './payment-keys';
import type { Delivery, EmulatedPayment, EmulatedStatus, PayerOutcome, ProviderName } from './types';

/**
 * Reads one record of an emulator's state file back, field by field, so a hand-edited or damaged file
 * fails at start with the field named instead of misbehaving later. Unknown fields are dropped.
 */
export class SavedRecord {
  private constructor(
    private readonly fields: Record<string, unknown>,
    private readonly at: string,
  ) {}

  static of(value: unknown, at = ''): SavedRecord {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${at || 'the record'} is not an object`);
    return new SavedRecord(value as Record<string, unknown>, at);
  }

  private name(field: string): string {
    return this.at ? `${this.at}.${field}` : field;
  }

  optString(field: string): string | undefined {
    const v = this.fields[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new Error(`${this.name(field)} is not a string`);
    return v;
  }

  string(field: string): string {
    const v = this.optString(field);
    if (v === undefined || v === '') throw new Error(`${this.name(field)} is missing`);
    return v;
  }

  /** Times (epoch ms), counts and amounts in fen: whole numbers only. */
  optInteger(field: string): number | undefined {
    const v = this.fields[field];
    if (v === undefined) return undefined;
    if (!Number.isSafeInteger(v)) throw new Error(`${this.name(field)} is not a whole number`);
    return v as number;
  }

  integer(field: string): number {
    const v = this.optInteger(field);
    if (v === undefined) throw new Error(`${this.name(field)} is missing`);
    return v;
  }

  boolean(field: string): boolean {
    const v = this.fields[field];
    if (typeof v !== 'boolean') throw new Error(`${this.name(field)} is not true or false`);
    return v;
  }

  oneOf<T extends string>(field: string, values: readonly T[]): T {
    const v = this.fields[field];
    if (!values.includes(v as T)) throw new Error(`${this.name(field)} must be one of ${values.join(', ')}`);
    return v as T;
  }

  optOneOf<T extends string>(field: string, values: readonly T[]): T | undefined {
    return this.fields[field] === undefined ? undefined : this.oneOf(field, values);
  }

  record(field: string): SavedRecord {
    return SavedRecord.of(this.fields[field], this.name(field));
  }

  list(field: string): SavedRecord[] {
    const v = this.fields[field];
    if (!Array.isArray(v)) throw new Error(`${this.name(field)} is not a list`);
    return v.map((x, i) => SavedRecord.of(x, `${this.name(field)}[${i}]`));
  }
}

const STATUSES: readonly EmulatedStatus[] = ['WAITING', 'PAID', 'FAILED', 'CLOSED'];
const OUTCOMES: readonly PayerOutcome[] = ['pay', 'cancel', 'fail'];
const TRADE_TYPES: Record<ProviderName, readonly EmulatedPayment['tradeType'][]> = {
  'wxpay-v3': ['JSAPI', 'NATIVE'],
  'wxpay-v2': ['JSAPI', 'NATIVE'],
  payjs: ['PAYJS'],
};

/** A saved notification delivery; a refund's deliveries also carry the event they sent. */
export function readDelivery(d: SavedRecord): Delivery {
  const event = d.optString('event');
  return {
    attempt: d.integer('attempt'),
    at: d.integer('at'),
    statusCode: d.optInteger('statusCode'),
    response: d.optString('response') ?? '',
    accepted: d.boolean('accepted'),
    nextAttemptAt: d.optInteger('nextAttemptAt'),
    ...(event !== undefined ? { event } : {}),
  };
}

/** A saved payment of `provider`, checked as the emulators rely on it (a PAID one has its transaction). */
export function readSavedPayment(r: SavedRecord, provider: ProviderName): EmulatedPayment {
  if (r.string('provider') !== provider) throw new Error(`payment.provider is not ${provider}`);
  const p: EmulatedPayment = {
    id: r.string('id'),
    provider,
    tradeType: r.oneOf('tradeType', TRADE_TYPES[provider]),
    outTradeNo: r.string('outTradeNo'),
    mchid: r.string('mchid'),
    appid: r.optString('appid'),
    amountFen: r.integer('amountFen'),
    description: r.optString('description') ?? '',
    status: r.oneOf('status', STATUSES),
    lastOutcome: r.optOneOf('lastOutcome', OUTCOMES),
    createdAt: r.integer('createdAt'),
    expiresAt: r.optInteger('expiresAt'),
    notifyUrl: r.optString('notifyUrl') ?? '',
    openid: r.optString('openid'),
    prepayId: r.optString('prepayId'),
    codeUrl: r.optString('codeUrl'),
    transactionId: r.optString('transactionId'),
    paidAt: r.optInteger('paidAt'),
    deliveries: r.list('deliveries').map(readDelivery),
  };
  if (p.amountFen <= 0) throw new Error('payment.amountFen must be above 0 fen');
  // The sandbox finds payments by prepay_id and code_url through the id (payment-keys.ts).
  if (p.tradeType === 'JSAPI' && p.prepayId !== p.id) throw new Error('a JSAPI payment\'s prepayId is not its id');
  if (p.tradeType === 'NATIVE' && p.codeUrl !== codeUrlOf(p.id)) throw new Error('a NATIVE payment\'s codeUrl does not name its id');
  if (p.status === 'PAID' && (p.transactionId === undefined || p.paidAt === undefined)) throw new Error('a PAID payment has no transactionId or paidAt');
  return p;
}
