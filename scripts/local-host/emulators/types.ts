/**
 * What every payment emulator of the local host offers: the provider's own HTTP API (handle), and the
 * payer's side (settle), which a real platform only exposes through the payer's phone.
 */

export type ProviderName = 'wxpay-v3' | 'wxpay-v2' | 'payjs';

export interface EmuRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  rawBody: Buffer;
}

export interface EmuReply {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** WAITING = placed and not paid yet (NOTPAY). */
export type EmulatedStatus = 'WAITING' | 'PAID' | 'FAILED' | 'CLOSED';

/** What the payer does in their wallet. `cancel` leaves the trade unpaid; `fail` marks it PAYERROR. */
export type PayerOutcome = 'pay' | 'cancel' | 'fail';

export interface Delivery {
  attempt: number;
  at: number;
  /** HTTP status our notify handler answered; absent when the request itself failed. */
  statusCode?: number;
  /** The first 200 characters of the handler's answer, or the transport error. */
  response: string;
  accepted: boolean;
  /** When the next attempt is due (absent once accepted or when the schedule is exhausted). */
  nextAttemptAt?: number;
}

export interface EmulatedPayment {
  /** Unique across emulators: the prepay_id (JSAPI), the code_url token (NATIVE) or the PAYJS order id. */
  id: string;
  provider: ProviderName;
  tradeType: 'JSAPI' | 'NATIVE' | 'PAYJS';
  outTradeNo: string;
  mchid: string;
  appid?: string;
  amountFen: number;
  description: string;
  status: EmulatedStatus;
  /** The payer's last action in the wallet, if any (a cancel leaves status WAITING). */
  lastOutcome?: PayerOutcome;
  createdAt: number;
  expiresAt?: number;
  notifyUrl: string;
  openid?: string;
  prepayId?: string;
  codeUrl?: string;
  transactionId?: string;
  paidAt?: number;
  deliveries: Delivery[];
}

export interface Emulator {
  readonly provider: ProviderName;
  /** Answers a request to the provider's API, or undefined when the path is not this emulator's. */
  handle(req: EmuRequest): Promise<EmuReply | undefined>;
  list(): EmulatedPayment[];
  /** The payer acts on a waiting payment; `pay` sends the signed notification. */
  settle(id: string, outcome: PayerOutcome): Promise<EmulatedPayment>;
}

/** Raised for payer-side actions that the platform would refuse (unknown id, bad paySign, already paid). */
export class EmulatorRefusal extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'EmulatorRefusal';
  }
}

export function jsonReply(statusCode: number, body: unknown, headers: Record<string, string> = {}): EmuReply {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: body === undefined ? '' : JSON.stringify(body) };
}

/** The payer's WeChat client, as far as the emulator plays it. */
export interface WxPayEmulator extends Emulator {
  /**
   * What `wx.requestPayment` does: checks paySign like the client does (refusing a bad one with
   * EmulatorRefusal), then applies the payer's outcome. Unknown prepay ids get EmulatorRefusal(404).
   */
  requestPayment(
    params: { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string },
    outcome: PayerOutcome,
  ): Promise<EmulatedPayment>;
  /** A phone scanning the Native code_url. Unknown code_urls get EmulatorRefusal(404). */
  scan(codeUrl: string, outcome: PayerOutcome): Promise<EmulatedPayment>;
}
