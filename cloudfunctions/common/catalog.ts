import type { FulfilmentType, Product } from '../../typings/checkout';
import type { Database, Doc } from './db/types';
import { isFulfilmentType } from './fulfilment/registry';

/** Where prices come from: the `products` collection, never the client. */

export const PRODUCTS = 'products';

export interface ProductDoc extends Doc {
  name: string;
  priceFen: number;
  stock: number;
  description?: string;
  image?: string;
  /** Products with `active: false` are hidden and cannot be ordered. */
  active?: boolean;
  /** What happens once it is paid (cloudfunctions/common/fulfilment); `goods` when absent. */
  fulfilment?: FulfilmentType;
}

export function toProduct(d: ProductDoc): Product {
  const p: Product = { skuId: d._id, name: d.name, priceFen: d.priceFen, stock: d.stock };
  if (d.description) p.description = d.description;
  if (d.image) p.image = d.image;
  return p;
}

function isSellable(d: Doc): d is ProductDoc {
  return (
    d.active !== false &&
    typeof d.name === 'string' &&
    Number.isSafeInteger(d.priceFen) && (d.priceFen as number) > 0 &&
    Number.isSafeInteger(d.stock) && (d.stock as number) >= 0 &&
    // A misspelt type must not sell something no hook would deliver.
    (d.fulfilment === undefined || isFulfilmentType(d.fulfilment))
  );
}

export async function listProducts(db: Database): Promise<Product[]> {
  // Server-side get returns at most 1000 documents per call; a checkout template's catalog fits.
  const { data } = await db.collection(PRODUCTS).where({ active: db.command.neq(false) }).orderBy('_id', 'asc').limit(1000).get();
  return data.filter(isSellable).map(toProduct);
}

/** The sellable products among `skuIds`, by id (missing or malformed documents are simply absent). */
export async function loadProducts(db: Database, skuIds: string[]): Promise<Map<string, ProductDoc>> {
  const { data } = await db.collection(PRODUCTS).where({ _id: db.command.in(skuIds) }).limit(1000).get();
  return new Map(data.filter(isSellable).map((d) => [d._id, d]));
}
