/**
 * The receipt flow of one order at a time: 确认收货 tapped → the receipt page → its result (from the page
 * in local mode, from App.onShow in cloud mode, in either order against the page's own onShow) → the
 * server's confirmation. Plain state with listeners: the order-receipt component shows it.
 */
import type { Order, ReceiptReturnHint } from '../../../typings/checkout';
import { errorMessage } from '../../services/api';
import { onReturnFrom } from '../../services/app-return';
import { confirmReceipt, openReceiptPage, RECEIPT_APP_ID, receiptReturnHint, ReceiptUnavailable } from '../services/receipt';

export type ReceiptPhase = 'idle' | 'opening' | 'waiting' | 'confirming' | 'done' | 'error';

export interface ReceiptState {
  orderId: string;
  phase: ReceiptPhase;
  message: string;
}

type Listener = (state: ReceiptState, order?: Order) => void;

class ReceiptFlow {
  state: ReceiptState = { orderId: '', phase: 'idle', message: '' };
  private listeners = new Set<Listener>();

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private set(patch: Partial<ReceiptState>, order?: Order): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l(this.state, order);
  }

  reset(): void {
    this.state = { orderId: '', phase: 'idle', message: '' };
  }

  /** 确认收货 on a shipped order. */
  async start(order: Order): Promise<void> {
    if (this.state.phase === 'opening' || this.state.phase === 'confirming') return;
    this.set({ orderId: order.orderId, phase: 'opening', message: '' });
    let hint: ReceiptReturnHint | null;
    try {
      hint = await openReceiptPage(order);
    } catch (err) {
      const message = err instanceof ReceiptUnavailable ? err.message : `无法打开确认收货页面：${errorMessage(err)}`;
      return this.set({ phase: 'error', message });
    }
    // Cloud mode: the result arrives through App.onShow (recordReturn), maybe already has.
    if (hint === null) {
      // App.onShow may have brought the result first.
      if ((this.state.phase as ReceiptPhase) === 'opening') this.set({ phase: 'waiting' });
      return;
    }
    await this.recordReturn(hint);
  }

  /** The receipt page's result (App.onShow, or the local sheet): ask the server on success. */
  async recordReturn(hint: ReceiptReturnHint): Promise<void> {
    const orderId = this.state.orderId;
    // A return nobody waits for (the app was restarted): the order page shows what the server says on its next load.
    if (!orderId || this.state.phase === 'confirming' || this.state.phase === 'done' || this.state.phase === 'idle') return;
    if (hint.status === 'cancel') return this.set({ phase: 'idle', message: '' });
    if (hint.status !== 'success') return this.set({ phase: 'error', message: hint.errormsg ? `确认收货未完成：${hint.errormsg}` : '确认收货未完成' });
    this.set({ phase: 'confirming', message: '' });
    try {
      const order = await confirmReceipt(orderId);
      this.set({ phase: 'done', message: '' }, order);
    } catch (err) {
      this.set({ phase: 'error', message: errorMessage(err) });
    }
  }
}

export const receipt = new ReceiptFlow();

// WeChat's receipt page hands its result back through App.onShow (services/app-return).
onReturnFrom(RECEIPT_APP_ID, (extra) => void receipt.recordReturn(receiptReturnHint(extra)));
