import type { OrderStatus } from '../../../typings/checkout';
import type { Database, DocData, Where } from '../db/types';
import { ORDERS, type OrderDoc } from './model';

/** Reads and writes of the `orders` collection. Conditional writes report whether they happened. */
export class OrderRepository {
  constructor(private readonly db: Database) {}

  private get orders() {
    return this.db.collection(ORDERS);
  }

  /** Inserts; false when a document with this _id exists already (an idempotent retry). */
  async insert(doc: OrderDoc): Promise<boolean> {
    try {
      await this.orders.add({ data: doc as unknown as DocData });
      return true;
    } catch (err) {
      if (await this.get(doc._id)) return false;
      throw err;
    }
  }

  async get(orderId: string): Promise<OrderDoc | undefined> {
    const { data } = await this.orders.where({ _id: orderId }).limit(1).get();
    return data[0] as unknown as OrderDoc | undefined;
  }

  /** The caller's order, or undefined: someone else's order is indistinguishable from a missing one. */
  async getOwned(orderId: string, openid: string): Promise<OrderDoc | undefined> {
    const { data } = await this.orders.where({ _id: orderId, _openid: openid }).limit(1).get();
    return data[0] as unknown as OrderDoc | undefined;
  }

  async findByOutTradeNo(outTradeNo: string): Promise<OrderDoc | undefined> {
    const { data } = await this.orders.where({ outTradeNo }).limit(1).get();
    return data[0] as unknown as OrderDoc | undefined;
  }

  async listOwned(openid: string, limit: number): Promise<OrderDoc[]> {
    const { data } = await this.orders.where({ _openid: openid }).orderBy('createdAt', 'desc').limit(limit).get();
    return data as unknown as OrderDoc[];
  }

  /** Replaces an array field whole, whatever the order's status (an audit record, not a state change). */
  async setList<K extends 'paymentAnomalies'>(orderId: string, field: K, value: NonNullable<OrderDoc[K]>): Promise<void> {
    await this.orders.where({ _id: orderId }).update({ data: { [field]: this.db.command.set(value) } as DocData });
  }

  /**
   * Applies `patch` only if the order still matches `expected` (always including its status). This is
   * what makes every state change happen exactly once, however many callers race for it.
   */
  async updateIf(orderId: string, status: OrderStatus, patch: Partial<OrderDoc>, expected: Where = {}): Promise<boolean> {
    const { stats } = await this.orders.where({ ...expected, _id: orderId, status }).update({ data: patch as DocData });
    return stats.updated === 1;
  }
}
