/**
 * The merchant's pages: who may see them (whoami), the order list with its filters, one order, refunds
 * and the payer's refund requests. The server checks every call (MERCHANT_OPENIDS); this only decides
 * what to show. Money is integer fen; amounts typed in yuan are parsed by parseYuan, never by a float.
 */
import { makeAutoObservable } from 'mobx-miniprogram';
import type { OrderStatus } from '../../typings/checkout';
import type { AttentionFilter, MerchantData, MerchantOrder, PaymentAnomalyView, ReconcileCause, RefundFilter } from '../../typings/merchant';
import { ApiError } from '../services/api';
import { callMerchant, staffErrorMessage } from '../services/merchant-api';
import { textError } from '../services/refunds';
import { refundReasonError } from './utils/refund-reason';
import { formatFen, parseYuan } from '../utils/money';
import { formatTime, orderStatusText } from '../utils/order-view';
import { refundableFen, refundsView, refundTag, type RefundsView } from '../utils/refund-view';

export type FilterKey = 'requested' | 'processing' | 'abnormal' | 'reconcile' | 'anomaly' | 'paid' | 'refunded' | 'all';

/**
 * The list's tabs, what needs a person first: open refund requests, refunds not yet final, then
 * payments the server could not confirm (待核对) and verified reports that did not match (支付异常).
 */
export const FILTERS: ReadonlyArray<{ key: FilterKey; label: string; query: { status?: OrderStatus; refund?: RefundFilter; attention?: AttentionFilter } }> = [
  { key: 'requested', label: '退款申请', query: { refund: 'REQUESTED' } },
  { key: 'processing', label: '退款中', query: { refund: 'PROCESSING' } },
  { key: 'abnormal', label: '退款异常', query: { refund: 'ABNORMAL' } },
  { key: 'reconcile', label: '待核对', query: { attention: 'RECONCILE' } },
  { key: 'anomaly', label: '支付异常', query: { attention: 'ANOMALY' } },
  { key: 'paid', label: '已支付', query: { status: 'PAID' } },
  { key: 'refunded', label: '已退款', query: { status: 'REFUNDED' } },
  { key: 'all', label: '全部', query: {} },
];

export const PAGE_SIZE = 20;
/** The merchant function's limit for a resolution note. */
export const MAX_NOTE = 200;

export type LoadState = 'idle' | 'loading' | 'ready' | 'error';

/** The call may or may not have been carried out: only a retry with the same requestId is safe. */
function isUncertain(err: unknown): boolean {
  return !(err instanceof ApiError) || err.code === 'NETWORK' || err.code === 'PROVIDER_ERROR' || err.code === 'INTERNAL';
}

function newRequestId(): string {
  // Unique per device and moment (1–64 characters); it guards against repeats, it is no secret.
  return `m${Date.now().toString(36)}${Math.floor(Math.random() * 0x7fffffff).toString(36)}`;
}

/** The payer, recognisable without filling the row: "oAbc…wxyz". */
function shortOpenid(openid: string): string {
  return openid.length > 10 ? `${openid.slice(0, 4)}…${openid.slice(-4)}` : openid;
}

/** What staff read for each cause (the technical detail is in the function log). */
const CAUSE_TEXT: Record<ReconcileCause, string> = {
  UNREACHABLE: '支付平台暂时无法访问',
  ANSWER_REJECTED: '支付平台的应答未通过验签或无法解析',
  PROVIDER_REFUSED: '支付平台拒绝了查询',
  INTERNAL: '服务端出错',
};

/** 待核对 before 支付异常 before the refund tags: a payment we cannot confirm may be money not yet recorded. */
function attentionTag(o: MerchantOrder): string {
  if (o.needsReconciliation) return '待核对';
  if (o.paymentAnomalies?.length) return '支付异常';
  return '';
}

function reconcileText(o: MerchantOrder): string {
  const r = o.needsReconciliation;
  if (!r) return '';
  const cause = `${CAUSE_TEXT[r.cause] ?? CAUSE_TEXT.INTERNAL}${r.providerCode ? `（${r.providerCode}）` : ''}`;
  return `订单已到期，但自 ${formatTime(r.since)} 起 ${r.attempts} 次未能向支付平台确认交易状态：${cause}。订单不可支付也不会关闭，系统定时重试；也可在商户平台按订单号核对。`;
}

function anomalyText(a: PaymentAnomalyView, o: MerchantOrder): string {
  const source = a.via === 'notify' ? '支付通知' : '查询结果';
  const parts = [`状态 ${a.state}`];
  if (a.amountFen !== undefined) parts.push(`金额 ¥${formatFen(a.amountFen)}${a.amountFen !== o.amountFen ? `（订单 ¥${formatFen(o.amountFen)}）` : ''}`);
  if (a.mchid) parts.push(`商户号 ${a.mchid}`);
  if (a.appid) parts.push(`AppID ${a.appid}`);
  if (a.transactionId) parts.push(`交易单号 ${a.transactionId}`);
  return `${formatTime(a.at)} 收到与订单不符的${source}（已拒收）：${parts.join('，')}`;
}

export interface MerchantListItem {
  orderId: string;
  title: string;
  amountText: string;
  statusText: string;
  status: OrderStatus;
  createdText: string;
  tag: string;
  payer: string;
}

export interface MerchantOrderView {
  outTradeNo: string;
  status: OrderStatus;
  statusText: string;
  amountText: string;
  items: Array<{ skuId: string; name: string; quantity: number; subtotalText: string }>;
  payer: string;
  paidText: string;
  transactionId: string;
  paidAfterCloseText: string;
  /** 待核对: why and since when; '' when nothing is pending. */
  reconcileText: string;
  /** 支付异常: one line per verified report that did not match. */
  anomalies: Array<{ key: string; text: string }>;
  leftText: string;
  canRefund: boolean;
  /** The payer's request is open: approve (refund) or reject it. */
  canResolve: boolean;
}

/** What the refund form holds; `amountText` is what the merchant typed, in yuan. */
export interface RefundForm {
  orderId: string;
  amountText: string;
  reason: string;
  /** The last submission's outcome is unknown: submitting again reuses its requestId. */
  retrying: boolean;
  /** The refund was accepted: this form submits nothing more. */
  submitted: boolean;
}

interface Submission {
  orderId: string;
  requestId: string;
}

export class MerchantStore {
  /** Whether the caller is staff; null until whoami has answered. */
  filter: FilterKey = 'requested';
  orders: MerchantOrder[] = [];
  nextCursor: string | null = null;
  listState: LoadState = 'idle';
  listError = '';
  loadingMore = false;

  order: MerchantOrder | null = null;
  detailState: LoadState = 'idle';
  detailError = '';
  /** A refund being asked about (queryRefund), for its button's spinner. */
  refreshingRefundId = '';
  resolving = false;
  /** The last action's failure on the detail page (refresh, approve, reject). */
  actionError = '';

  form: RefundForm | null = null;
  refunding = false;
  refundError = '';

  private listSeq = 0;
  private orderLoad: { orderId: string; promise: Promise<void> } | null = null;
  /**
   * The refund submission whose answer never came (network) or was a provider hiccup. Kept until a
   * definitive answer, so a retry (same form, or the form opened again) sends the same requestId and
   * the server returns the refund it may already have made instead of making a second one.
   */
  private unresolved: Submission | null = null;
  private refundInFlight: Promise<boolean> | null = null;

  constructor() {
    makeAutoObservable<MerchantStore, 'listSeq' | 'orderLoad' | 'unresolved' | 'refundInFlight'>(this, {
      listSeq: false,
      orderLoad: false,
      unresolved: false,
      refundInFlight: false,
    });
  }

  // ---- views -----------------------------------------------------------------------------------

  get listItems(): MerchantListItem[] {
    return this.orders.map((o) => {
      const first = o.items[0];
      return {
        orderId: o.orderId,
        title: first ? `${first.name}${o.items.length > 1 ? ` 等 ${o.items.length} 件` : ''}` : o.outTradeNo,
        amountText: formatFen(o.amountFen),
        statusText: orderStatusText(o),
        status: o.status,
        createdText: formatTime(o.createdAt),
        tag: attentionTag(o) || refundTag(o),
        payer: shortOpenid(o.openid),
      };
    });
  }

  get hasMore(): boolean {
    return this.nextCursor !== null;
  }

  get detail(): MerchantOrderView | null {
    const o = this.order;
    if (!o) return null;
    const left = refundableFen(o);
    return {
      outTradeNo: o.outTradeNo,
      status: o.status,
      statusText: orderStatusText(o),
      amountText: formatFen(o.amountFen),
      items: o.items.map((i) => ({ skuId: i.skuId, name: i.name, quantity: i.quantity, subtotalText: formatFen(i.subtotalFen) })),
      payer: o.openid,
      paidText: o.paidAt ? formatTime(o.paidAt) : '',
      transactionId: o.transactionId ?? '',
      paidAfterCloseText: o.paidAfterClose
        ? `订单关闭后收到付款${o.paidAfterClose.amountFen !== undefined ? ` ¥${formatFen(o.paidAfterClose.amountFen)}` : ''}（${formatTime(o.paidAfterClose.at)}）`
        : '',
      reconcileText: reconcileText(o),
      anomalies: (o.paymentAnomalies ?? []).map((a, i) => ({ key: `${i}-${a.at}`, text: anomalyText(a, o) })),
      leftText: formatFen(left),
      canRefund: left > 0,
      canResolve: o.status === 'PAID' && o.refundRequest?.status === 'OPEN',
    };
  }

  get refunds(): RefundsView | null {
    return refundsView(this.order);
  }

  /** What the refund form's amount would be in fen, or the message to show instead. */
  get formAmount(): { fen: number; message: string } {
    if (!this.form) return { fen: 0, message: '' };
    const parsed = parseYuan(this.form.amountText);
    if (!parsed.ok) return { fen: 0, message: parsed.message };
    if (parsed.fen < 1) return { fen: 0, message: '退款金额至少 ¥0.01' };
    const o = this.order;
    if (o && o.orderId === this.form.orderId && parsed.fen > refundableFen(o)) {
      return { fen: 0, message: `最多可退 ¥${formatFen(refundableFen(o))}` };
    }
    return { fen: parsed.fen, message: '' };
  }

  // ---- list ------------------------------------------------------------------------------------

  setFilter(key: FilterKey): Promise<void> {
    if (key === this.filter && this.listState !== 'error') return Promise.resolve();
    this.set({ filter: key, orders: [], nextCursor: null });
    return this.reload();
  }

  /** The first page of the current filter. An answer for a filter no longer chosen is dropped. */
  async reload(): Promise<void> {
    const seq = ++this.listSeq;
    const filter = FILTERS.find((f) => f.key === this.filter) ?? FILTERS[0];
    this.set({ listState: 'loading', listError: '', loadingMore: false });
    try {
      const res = await callMerchant<'listOrders'>({ action: 'listOrders', ...filter.query, limit: PAGE_SIZE });
      if (seq !== this.listSeq) return;
      this.set({ orders: res.orders, nextCursor: res.nextCursor ?? null, listState: 'ready' });
    } catch (err) {
      if (seq !== this.listSeq) return;
      this.set({ listState: 'error', listError: staffErrorMessage(err) });
    }
  }

  async loadMore(): Promise<void> {
    if (!this.nextCursor || this.loadingMore || this.listState !== 'ready') return;
    const seq = this.listSeq;
    const filter = FILTERS.find((f) => f.key === this.filter) ?? FILTERS[0];
    this.set({ loadingMore: true, listError: '' });
    try {
      const res = await callMerchant<'listOrders'>({ action: 'listOrders', ...filter.query, limit: PAGE_SIZE, cursor: this.nextCursor });
      if (seq !== this.listSeq) return;
      // An order that moved between pages while paging is shown once.
      const seen = new Set(this.orders.map((o) => o.orderId));
      this.set({ orders: this.orders.concat(res.orders.filter((o) => !seen.has(o.orderId))), nextCursor: res.nextCursor ?? null, loadingMore: false });
    } catch (err) {
      if (seq !== this.listSeq) return;
      this.set({ loadingMore: false, listError: staffErrorMessage(err) });
    }
  }

  // ---- one order -------------------------------------------------------------------------------

  /** Loads (or refreshes) an order; a second call for the same order while one runs joins it. */
  openOrder(orderId: string): Promise<void> {
    if (this.orderLoad?.orderId === orderId) return this.orderLoad.promise;
    if (this.order?.orderId !== orderId) this.set({ order: null, actionError: '' });
    this.set({ detailState: 'loading', detailError: '' });
    const promise = callMerchant<'getOrder'>({ action: 'getOrder', orderId }).then(
      ({ order }) => {
        if (this.orderLoad?.promise === promise) this.adopt(order);
      },
      (err: unknown) => {
        if (this.orderLoad?.promise === promise) this.set({ detailState: this.order ? 'ready' : 'error', detailError: staffErrorMessage(err) });
      },
    );
    this.orderLoad = { orderId, promise };
    void promise.then(() => {
      if (this.orderLoad?.promise === promise) this.orderLoad = null;
    });
    return promise;
  }

  /** Asks the provider about a refund not yet final (the server reconciles it). */
  async refreshRefund(refundId: string): Promise<void> {
    const o = this.order;
    if (!o || this.refreshingRefundId) return;
    this.set({ refreshingRefundId: refundId, actionError: '' });
    try {
      const res = await callMerchant<'queryRefund'>({ action: 'queryRefund', orderId: o.orderId, refundId });
      this.adopt(res.order);
    } catch (err) {
      this.set({ actionError: staffErrorMessage(err) });
    } finally {
      this.set({ refreshingRefundId: '' });
    }
  }

  /**
   * Checks a resolution before it is confirmed: the amount to refund (typed in yuan; empty = what is
   * left) and the note (required to reject, the payer reads it). Null, with actionError set, when invalid.
   */
  planResolve(approve: boolean, note: string, amountText = ''): { amountFen: number; note: string } | null {
    const o = this.order;
    if (!o || o.refundRequest?.status !== 'OPEN') return null;
    const trimmed = note.trim();
    const problem = !approve && !trimmed ? '拒绝时请填写说明，付款人会看到' : trimmed ? textError(trimmed, '说明', MAX_NOTE) : '';
    if (problem) return this.actionFailed(problem);
    if (!approve) return { amountFen: 0, note: trimmed };
    const left = refundableFen(o);
    const parsed = amountText.trim() ? parseYuan(amountText) : { ok: true as const, fen: left };
    if (!parsed.ok) return this.actionFailed(parsed.message);
    if (parsed.fen < 1) return this.actionFailed('退款金额至少 ¥0.01');
    if (parsed.fen > left) return this.actionFailed(`最多可退 ¥${formatFen(left)}`);
    this.set({ actionError: '' });
    return { amountFen: parsed.fen, note: trimmed };
  }

  /**
   * Approves (issues the refund of the amount confirmed, sent explicitly so a concurrent refund makes
   * it fail rather than refund another sum) or rejects the payer's open request. Returns whether it was
   * done. On any failure the order is read again: it then shows whether the request was resolved, and
   * a request no longer open cannot be resolved twice.
   */
  async resolveRequest(approve: boolean, note: string, amountText = ''): Promise<boolean> {
    const o = this.order;
    if (!o || this.resolving) return false;
    const plan = this.planResolve(approve, note, amountText);
    if (!plan) return false;
    this.set({ resolving: true, actionError: '' });
    try {
      const res: MerchantData['resolveRefundRequest'] = await callMerchant<'resolveRefundRequest'>({
        action: 'resolveRefundRequest',
        orderId: o.orderId,
        approve,
        ...(approve ? { amountFen: plan.amountFen } : {}),
        ...(plan.note ? { note: plan.note } : {}),
      });
      this.adopt(res.order);
      return true;
    } catch (err) {
      this.set({ actionError: staffErrorMessage(err) });
      // Lost, or answered meanwhile (another device): show the request as it is now, so it is not resolved twice.
      await this.openOrder(o.orderId);
      if (!isUncertain(err) && this.order?.orderId === o.orderId && this.order.refundRequest?.status !== 'OPEN') this.set({ actionError: '该退款申请已处理' });
      return false;
    } finally {
      this.set({ resolving: false });
    }
  }

  // ---- refund form -----------------------------------------------------------------------------

  /**
   * Opens the refund form for an order: the amount defaults to what is left. If the last submission
   * for this order is unresolved, the form says so and its retry reuses that submission's requestId.
   */
  async startRefundForm(orderId: string): Promise<void> {
    this.set({ form: { orderId, amountText: '', reason: '', retrying: this.unresolved?.orderId === orderId, submitted: false }, refundError: '' });
    // Read again even when the detail page has it: what is left may have changed (another refund, a CLOSED one).
    await this.openOrder(orderId);
    const form = this.form;
    if (!form || form.orderId !== orderId || form.amountText !== '' || this.order?.orderId !== orderId) return;
    this.set({ form: { ...form, amountText: formatFen(refundableFen(this.order)) } });
  }

  editRefundForm(patch: Partial<Pick<RefundForm, 'amountText' | 'reason'>>): void {
    if (this.form && !this.form.submitted) this.set({ form: { ...this.form, ...patch } });
  }

  /**
   * Issues the refund in the form. A double tap joins the call in flight; a retry after an uncertain
   * failure sends the same requestId. Returns whether the refund was accepted.
   */
  submitRefund(): Promise<boolean> {
    if (this.refundInFlight) return this.refundInFlight;
    const run = this.runRefund();
    this.refundInFlight = run;
    void run.then(() => {
      this.refundInFlight = null;
    });
    return run;
  }

  private async runRefund(): Promise<boolean> {
    const form = this.form;
    if (!form || form.submitted) return false;
    const { fen, message } = this.formAmount;
    const reason = form.reason.trim();
    const problem = message || (reason ? refundReasonError(reason) : '');
    if (problem) {
      this.set({ refundError: problem });
      return false;
    }
    const reused = this.unresolved?.orderId === form.orderId;
    const submission: Submission = reused && this.unresolved ? this.unresolved : { orderId: form.orderId, requestId: newRequestId() };
    this.unresolved = submission;
    this.set({ refunding: true, refundError: '' });
    try {
      const res = await callMerchant<'refund'>({
        action: 'refund',
        orderId: form.orderId,
        amountFen: fen,
        requestId: submission.requestId,
        ...(reason ? { reason } : {}),
      });
      this.unresolved = null;
      this.adopt(res.order);
      this.set({ form: { ...form, retrying: false, submitted: true } });
      return true;
    } catch (err) {
      if (isUncertain(err)) {
        this.set({ refundError: `${staffErrorMessage(err)}。可再次提交：不会重复退款`, form: { ...form, retrying: true } });
        return false;
      }
      this.unresolved = null;
      if (reused && err instanceof ApiError && err.code === 'INVALID_ARGUMENT') {
        // Most likely the lost earlier attempt did land, with another amount: show the order rather than refund again.
        this.set({ refundError: '上次提交的退款可能已受理，请核对退款记录后再操作', form: { ...form, retrying: false } });
        await this.openOrder(form.orderId);
        return false;
      }
      this.set({ refundError: staffErrorMessage(err), form: { ...form, retrying: false } });
      return false;
    } finally {
      this.set({ refunding: false });
    }
  }

  /** Forgets everything (tests; a different user). */
  reset(): void {
    this.listSeq++;
    this.unresolved = null;
    this.refundInFlight = null;
    this.orderLoad = null;
    this.set({
      filter: 'requested', orders: [], nextCursor: null, listState: 'idle', listError: '', loadingMore: false,
      order: null, detailState: 'idle', detailError: '', refreshingRefundId: '', resolving: false, actionError: '',
      form: null, refunding: false, refundError: '',
    });
  }

  /** A fresher copy of an order: the detail and its row in the list. */
  private adopt(order: MerchantOrder): void {
    if (!this.order || this.order.orderId === order.orderId) this.set({ order, detailState: 'ready', detailError: '' });
    const index = this.orders.findIndex((o) => o.orderId === order.orderId);
    if (index >= 0) this.set({ orders: this.orders.map((o, i) => (i === index ? order : o)) });
  }

  private actionFailed(message: string): null {
    this.set({ actionError: message });
    return null;
  }

  private set(patch: Partial<Pick<MerchantStore, 'filter' | 'orders' | 'nextCursor' | 'listState' | 'listError' | 'loadingMore' | 'order' | 'detailState' | 'detailError' | 'refreshingRefundId' | 'resolving' | 'actionError' | 'form' | 'refunding' | 'refundError'>>): void {
    Object.assign(this, patch);
  }
}

export const merchant = new MerchantStore();
