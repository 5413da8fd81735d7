/**
 * The checkout flow: idle → creating → paying → confirming → paid | failed | cancelled | expired.
 * The client never decides that an order is paid: only queryOrder's answer moves the flow to 'paid'.
 */
import { computed, makeAutoObservable } from 'mobx-miniprogram';
import type { CartLine, Order, PayjsJump, PayjsReturnHint, PayMethod } from '../../../typings/checkout';
import { ApiError, call, errorMessage } from '../../services/api';
import { onReturnFrom } from '../../services/app-return';
import { requestPayment, simulateScan } from '../services/payment';
import { jumpToPayjs, PAYJS_APP_ID, payjsReturnHint } from '../services/payjs';
import { formatFen } from '../../utils/money';
import { orderStatusText } from '../../utils/order-view';
import { DEFAULT_POLL_POLICY, poll, type PollHandle, type PollPolicy } from '../utils/poll';
import { receiptView, type ReceiptView } from '../../utils/receipt-view';
import { refundsView, type RefundsView } from '../../utils/refund-view';

/** How long the scan page keeps asking at most (the order's own expiry usually comes first). */
export const SCAN_WAIT_MAX_MS = 15 * 60_000;

export type CheckoutPhase = 'idle' | 'creating' | 'paying' | 'confirming' | 'paid' | 'failed' | 'cancelled' | 'expired';

/** Worth asking again: the call did not get through, or the provider hiccuped. */
function isTransient(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 'NETWORK' || err.code === 'PROVIDER_ERROR' || err.code === 'INTERNAL');
}

function newRequestId(): string {
  // An idempotency key only needs to be unique per device and moment; it protects nothing.
  return `r${Date.now().toString(36)}${Math.floor(Math.random() * 0x7fffffff).toString(36)}`;
}

export class CheckoutStore {
  phase: CheckoutPhase = 'idle';
  order: Order | null = null;
  method: PayMethod = 'wechat';
  errorMessage = '';
  /** Native: the QR content to draw. */
  codeUrl = '';
  /** PAYJS: the signed jump, ready for a tap (navigateToMiniProgram needs a user gesture). */
  payjs: PayjsJump | null = null;
  payjsJumped = false;
  payjsHint: PayjsReturnHint | null = null;
  polling = false;

  /** Replaceable by tests; not observable. */
  pollPolicy: PollPolicy = DEFAULT_POLL_POLICY;
  private pollHandle: PollHandle<Order> | null = null;
  /** The paying pages now visible (onShow/onHide of each instance; WeChat may show one before hiding the other). */
  private visiblePages = new Set<object>();
  /** Count of paying-page onShows: tells whether the page came back before navigateToMiniProgram's success. */
  private shows = 0;
  private inFlight: Promise<void> | null = null;
  /** Kept until createOrder succeeds so a retry of the same cart reuses the same idempotency key. */
  private pendingRequest: { key: string; requestId: string } | null = null;

  constructor() {
    makeAutoObservable<CheckoutStore, 'pollHandle' | 'visiblePages' | 'shows' | 'inFlight' | 'pendingRequest'>(this, {
      pollPolicy: false,
      pollHandle: false,
      visiblePages: false,
      // Structural: a poll answering the same order must not re-render the pages bound to these.
      itemViews: computed.struct,
      outTradeNo: computed.struct,
      orderStatus: computed.struct,
      refundsView: computed.struct,
      receiptView: computed.struct,
      shows: false,
      inFlight: false,
      pendingRequest: false,
    });
  }

  get busy(): boolean {
    // A PAYJS jump waiting for its tap is not busy: the page must stay usable.
    return this.phase === 'creating' || (this.phase === 'paying' && !this.payjs);
  }

  get amountText(): string {
    return this.order ? formatFen(this.order.amountFen) : '';
  }

  /** The order's lines as the result page renders them. */
  get itemViews(): Array<{ skuId: string; name: string; quantity: number; subtotalText: string }> {
    return (this.order?.items ?? []).map((i) => ({ skuId: i.skuId, name: i.name, quantity: i.quantity, subtotalText: formatFen(i.subtotalFen) }));
  }

  /** The order page's refund card (components/order-refunds). */
  get refundsView(): RefundsView | null {
    return refundsView(this.order);
  }

  /** The order page's 确认收货 card (components/order-receipt). */
  get receiptView(): ReceiptView | null {
    return receiptView(this.order);
  }

  get outTradeNo(): string {
    return this.order?.outTradeNo ?? '';
  }

  get orderStatus(): Order['status'] | '' {
    return this.order?.status ?? '';
  }

  get statusText(): string {
    return this.order ? orderStatusText(this.order) : '';
  }

  get canPayAgain(): boolean {
    return this.order?.status === 'PENDING' && !this.busy && !this.polling;
  }

  get canCancel(): boolean {
    return this.order?.status === 'PENDING' && !this.busy;
  }

  /** What the status area says while the outcome is open. */
  get payjsReady(): boolean {
    return this.phase === 'paying' && this.payjs !== null && !this.payjsJumped;
  }

  /** The order page could not load its order. */
  get loadFailed(): boolean {
    return this.phase === 'idle' && this.order === null && this.errorMessage !== '';
  }

  /** Back from PAYJS saying it was not paid, and the server agrees so far: paying again is offered. */
  get backWithoutPaying(): boolean {
    return this.phase === 'confirming' && !this.polling && this.payjsJumped && this.payjsHint?.success === false;
  }

  get notice(): string {
    if (this.phase === 'confirming') {
      // Scan-to-pay waits for another phone; "confirming" would claim a payment that has not started.
      if (this.polling) return this.codeUrl ? '等待扫码支付…' : '正在确认支付结果…';
      if (this.payjsJumped && this.payjsHint?.success === false) {
        return `已从 PAYJS 返回，尚未完成支付${this.payjsHint.msg ? `（${this.payjsHint.msg}）` : ''}。如已支付，请点“我已支付，重新查询”。`;
      }
      return '暂未确认到支付结果，可稍后重新查询。';
    }
    if (this.phase === 'paying' && this.payjs && !this.payjsJumped) return '请前往 PAYJS 小程序完成支付';
    return '';
  }

  /** Creates the order and starts paying it. A second tap while one runs joins the first. */
  submit(lines: CartLine[], method: PayMethod): Promise<void> {
    if (this.inFlight) return this.inFlight;
    return this.track(this.runSubmit(lines, method));
  }

  /** Holds `run` as the flow in flight until it settles (not Promise.prototype.finally: not polyfilled in DevTools' ES5 output). */
  private track(run: Promise<void>): Promise<void> {
    const done = () => {
      this.inFlight = null;
    };
    const tracked = run.then(done, (err: unknown) => {
      done();
      throw err;
    });
    this.inFlight = tracked;
    return tracked;
  }

  private async runSubmit(lines: CartLine[], method: PayMethod): Promise<void> {
    this.stopPolling();
    const key = JSON.stringify(lines);
    if (!this.pendingRequest || this.pendingRequest.key !== key) this.pendingRequest = { key, requestId: newRequestId() };
    this.set({ phase: 'creating', order: null, method, errorMessage: '', codeUrl: '', payjs: null, payjsJumped: false, payjsHint: null });
    let order: Order;
    try {
      ({ order } = await call<'createOrder'>({ action: 'createOrder', items: lines, requestId: this.pendingRequest.requestId }));
    } catch (err) {
      return this.fail(err);
    }
    this.pendingRequest = null;
    this.set({ order });
    await this.runPay(order.orderId, method);
  }

  /** Pays the current (pending) order again, with the method it was first paid with. */
  payAgain(): Promise<void> {
    const order = this.order;
    if (!order || order.status !== 'PENDING' || this.inFlight) return this.inFlight ?? Promise.resolve();
    this.stopPolling();
    return this.track(this.runPay(order.orderId, order.payMethod ?? this.method));
  }

  private async runPay(orderId: string, method: PayMethod): Promise<void> {
    this.set({ phase: 'paying', method, errorMessage: '', codeUrl: '', payjs: null, payjsJumped: false, payjsHint: null });
    let data;
    try {
      data = await call<'pay'>({ action: 'pay', orderId, method });
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'ORDER_CLOSED' || err.code === 'ALREADY_PAID')) {
        // The order moved on (expired, cancelled or paid elsewhere): show what it is now.
        await this.refresh(orderId);
        if (this.phase === 'paying') this.fail(err);
        return;
      }
      return this.fail(err);
    }
    this.set({ order: data.order });
    if (data.method === 'native') {
      // The scan page draws the code and polls while it is visible.
      this.set({ codeUrl: data.codeUrl, phase: 'confirming' });
      return;
    }
    if (data.method === 'payjs') {
      this.set({ payjs: data.payjs });
      return;
    }
    const outcome = await requestPayment(data.payment);
    if (outcome.kind === 'cancel') return this.set({ phase: 'cancelled' });
    if (outcome.kind === 'fail') {
      // WeChat's errMsg is for developers; the payer gets a plain sentence.
      console.warn('[pay] requestPayment failed:', outcome.message);
      return this.set({ phase: 'failed', errorMessage: '支付未完成，请重试' });
    }
    this.set({ phase: 'confirming' });
    void this.confirm();
  }

  /** Local mode: stands in for scanning the Native code. Confirmation still comes from polling. */
  async simulateScan(): Promise<void> {
    if (!this.codeUrl) return;
    const outcome = await simulateScan(this.codeUrl);
    if (outcome.kind === 'fail') this.set({ errorMessage: outcome.message });
  }

  /** PAYJS: the jump, from a tap on the paying page. */
  async jumpToPayjs(): Promise<void> {
    if (!this.payjs) return;
    // Cleared before the jump, not after: PAYJS's return may reach App.onShow before navigateToMiniProgram's success.
    this.set({ payjsHint: null, errorMessage: '' });
    const showsBefore = this.shows;
    let simulatedReturn: Awaited<ReturnType<typeof jumpToPayjs>>;
    try {
      simulatedReturn = await jumpToPayjs(this.payjs);
    } catch (err) {
      console.warn('[payjs] navigateToMiniProgram failed:', err);
      return this.set({ errorMessage: '无法打开 PAYJS，请稍后重试' });
    }
    // Declined WeChat's prompt: still on this page, the jump button still there.
    if (simulatedReturn === 'declined') return;
    this.set({ payjsJumped: true });
    if (simulatedReturn) {
      // Local mode: back from the emulator with no page hide/show, so do what App.onShow and the
      // paying page's onShow would do on a real return.
      this.recordPayjsReturn(simulatedReturn);
      this.onPayingPageShow();
    } else if (this.shows > showsBefore) {
      // The page came back into view before this success was delivered: its onShow could not start asking.
      this.resume();
    }
  }

  /** App.onShow saw the return from PAYJS. A hint for when to ask, never proof of payment. */
  recordPayjsReturn(hint: PayjsReturnHint): void {
    this.payjsHint = hint;
    // Already asking without it (page onShow came first): ask again with the hint's PAYJS order id and policy.
    if (this.polling && this.payjsJumped) this.stopPolling();
    this.resume();
  }

  /** A paying page's onShow (also the return from PAYJS): the store then asks the server when there is reason to. */
  onPayingPageShow(page: object = this): void {
    this.visiblePages.add(page);
    this.shows += 1;
    this.resume();
  }

  /** A paying page's onHide/onUnload: stop asking once no paying page is visible. */
  onPayingPageHide(page: object = this): void {
    this.visiblePages.delete(page);
    if (this.visiblePages.size === 0) this.stopPolling();
  }

  /**
   * Starts confirming when a paying page is visible and there is something to confirm. Called from every
   * event that can complete that picture, in whatever order WeChat delivers them: page onShow, App.onShow's
   * return hint, navigateToMiniProgram's success, the order loaded by open().
   */
  private resume(): void {
    if (this.visiblePages.size === 0) return;
    if (this.payjsJumped && this.phase === 'paying') this.set({ phase: 'confirming' });
    // After a cold start the jump is forgotten, but App.onShow recorded PAYJS's return: ask the server.
    if (this.phase === 'idle' && this.payjsHint && this.order?.status === 'PENDING' && this.order.payMethod === 'payjs') this.set({ phase: 'confirming' });
    if (this.phase === 'confirming' && !this.polling) void this.confirm();
  }

  /** Polls queryOrder until the server says the order left PENDING, or the time bound passes. */
  async confirm(): Promise<void> {
    const order = this.order;
    if (!order) return;
    this.stopPolling();
    this.set({ phase: 'confirming', polling: true, errorMessage: '' });
    const policy = this.payjsJumped && this.payjsHint?.success === false
      ? { ...this.pollPolicy, deadlineMs: 0 } // came back without paying: ask once, then let the user re-query
      : this.codeUrl
        ? // Scan-to-pay: another phone may take minutes; keep asking while the code can still be paid.
          { ...this.pollPolicy, deadlineMs: Math.max(this.pollPolicy.deadlineMs, Math.min(order.expiresAt - Date.now(), SCAN_WAIT_MAX_MS)) }
        : this.pollPolicy;
    const handle = poll(
      async () => {
        const hint = this.payjsHint?.payjsOrderId;
        const res = await call<'queryOrder'>(
          hint ? { action: 'queryOrder', orderId: order.orderId, payjsOrderId: hint } : { action: 'queryOrder', orderId: order.orderId },
        );
        this.set({ order: res.order });
        return res.order;
      },
      (o) => o.status !== 'PENDING',
      isTransient,
      policy,
    );
    this.pollHandle = handle;
    const outcome = await handle.result;
    if (this.pollHandle !== handle) return; // superseded by a newer poll or a stop
    this.pollHandle = null;
    this.set({ polling: false });
    if (outcome.kind === 'done') this.applyStatus(outcome.value);
    else if (outcome.kind === 'error') this.fail(outcome.error);
  }

  stopPolling(): void {
    const handle = this.pollHandle;
    if (!handle) return;
    this.pollHandle = null;
    handle.stop();
    this.set({ polling: false });
  }

  /** Opens an order for the detail page; keeps the live flow if it is the same order. */
  async open(orderId: string): Promise<void> {
    if (this.order?.orderId === orderId && this.phase !== 'idle') {
      // A paid order still changes (shipped, received, refunded): show it as it is now.
      if (this.phase === 'paid') await this.refresh(orderId);
      return;
    }
    this.stopPolling();
    // The PAYJS return hint stays: after a cold start App.onShow records it before this page opens.
    this.set({ phase: 'idle', order: null, errorMessage: '', codeUrl: '', payjs: null, payjsJumped: false });
    await this.refresh(orderId);
    // The page's onShow ran while the order loaded (onLoad then onShow in one tick): look again now.
    if (this.order?.orderId === orderId) this.resume();
  }

  async cancelOrder(): Promise<void> {
    const order = this.order;
    if (!order || order.status !== 'PENDING') return;
    this.stopPolling();
    try {
      const res = await call<'cancelOrder'>({ action: 'cancelOrder', orderId: order.orderId });
      this.set({ order: res.order });
      this.applyStatus(res.order);
    } catch (err) {
      this.set({ errorMessage: errorMessage(err) });
    }
  }

  /** A newer copy of the order on screen from another call (the payer's refund request answers one). */
  showOrder(order: Order): void {
    if (this.order?.orderId === order.orderId) this.set({ order });
  }

  reset(): void {
    this.stopPolling();
    this.set({ phase: 'idle', order: null, errorMessage: '', codeUrl: '', payjs: null, payjsJumped: false, payjsHint: null });
  }

  private async refresh(orderId: string): Promise<void> {
    try {
      const res = await call<'queryOrder'>({ action: 'queryOrder', orderId });
      this.set({ order: res.order });
      this.applyStatus(res.order);
    } catch (err) {
      // Not knowing the order is no payment failure: the page offers loading it again (loadFailed).
      this.set({ errorMessage: errorMessage(err) });
    }
  }

  private applyStatus(order: Order): void {
    if (order.status === 'PAID' || order.status === 'REFUNDED') this.set({ phase: 'paid' });
    else if (order.status === 'CLOSED') this.set({ phase: order.closeReason === 'EXPIRED' ? 'expired' : 'cancelled' });
  }

  private fail(err: unknown): void {
    this.set({ phase: 'failed', errorMessage: errorMessage(err) });
  }

  private set(patch: Partial<Pick<CheckoutStore, 'phase' | 'order' | 'method' | 'errorMessage' | 'codeUrl' | 'payjs' | 'payjsJumped' | 'payjsHint' | 'polling'>>): void {
    Object.assign(this, patch);
  }
}

export const checkout = new CheckoutStore();

// PAYJS hands control back through App.onShow (services/app-return): a hint for the page that waits.
onReturnFrom(PAYJS_APP_ID, (extra) => checkout.recordPayjsReturn(payjsReturnHint(extra)));
