import type { Database } from './db/types';
import { PRODUCTS } from './catalog';

export interface StockLine {
  skuId: string;
  quantity: number;
}

/**
 * Takes stock for every line or for none. Each line is a conditional decrement (`stock >= quantity`),
 * so concurrent orders can never oversell; if a later line fails, the lines already taken are given
 * back. Returns the skuId that was short, or undefined on success.
 */
export async function reserveStock(db: Database, lines: StockLine[]): Promise<string | undefined> {
  const _ = db.command;
  const taken: StockLine[] = [];
  for (const line of lines) {
    const { stats } = await db
      .collection(PRODUCTS)
      .where({ _id: line.skuId, stock: _.gte(line.quantity) })
      .update({ data: { stock: _.inc(-line.quantity) } });
    if (stats.updated !== 1) {
      await releaseStock(db, taken);
      return line.skuId;
    }
    taken.push(line);
  }
  return undefined;
}

export async function releaseStock(db: Database, lines: StockLine[]): Promise<void> {
  const _ = db.command;
  for (const line of lines) {
    await db.collection(PRODUCTS).doc(line.skuId).update({ data: { stock: _.inc(line.quantity) } });
  }
}
