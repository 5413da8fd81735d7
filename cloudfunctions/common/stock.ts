import { AppError } from './errors';
import { PRODUCTS, type ProductDoc } from './catalog';
import { getIfExists } from './db/transaction';
import type { Command, Transaction } from './db/types';

export interface StockLine {
  skuId: string;
  quantity: number;
}

/**
 * Inside the transaction that inserts the order: takes stock for every line, or rolls the whole
 * transaction back with OUT_OF_STOCK. Concurrent orders cannot oversell: a transaction that read a
 * stock another one changed is run again.
 */
export async function takeStock(t: Transaction, _: Command, lines: StockLine[], nameOf: (skuId: string) => string): Promise<void> {
  for (const line of lines) {
    const ref = t.collection(PRODUCTS).doc(line.skuId);
    const product = await getIfExists<ProductDoc>(ref);
    if (!product || product.stock < line.quantity) await t.rollback(new AppError('OUT_OF_STOCK', `Not enough stock for ${nameOf(line.skuId)}.`));
    await ref.update({ data: { stock: _.inc(-line.quantity) } });
  }
}

/** Inside the transaction that closes the order: gives its stock back (a product deleted since is skipped). */
export async function returnStock(t: Transaction, _: Command, lines: StockLine[]): Promise<void> {
  for (const line of lines) {
    const ref = t.collection(PRODUCTS).doc(line.skuId);
    const product = await getIfExists<ProductDoc>(ref);
    if (product) await ref.update({ data: { stock: _.inc(line.quantity) } });
  }
}
