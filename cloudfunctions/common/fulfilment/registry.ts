import type { FulfilmentType } from '../../../typings/checkout';
import { goods } from './goods';
import type { FulfilmentHook } from './hook';
import { membership } from './membership';
import { virtual } from './virtual';

/**
 * Every product type's hook, in one place. A new type: one module beside these, one line here, and the
 * type's name in typings/checkout.d.ts (FulfilmentType); products name it in their `fulfilment` field.
 */
const HOOKS: Record<FulfilmentType, FulfilmentHook> = { goods, virtual, membership };

export const FULFILMENT_TYPES = Object.keys(HOOKS) as FulfilmentType[];

export const DEFAULT_FULFILMENT: FulfilmentType = 'goods';

export function isFulfilmentType(v: unknown): v is FulfilmentType {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(HOOKS, v);
}

export function hookFor(type: FulfilmentType): FulfilmentHook {
  return HOOKS[type];
}
