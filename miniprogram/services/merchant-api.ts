/** Typed client for the `merchant` function (staff only: the server answers FORBIDDEN to anyone else). */
import type { MerchantAction, MerchantData, MerchantEventOf } from '../../typings/merchant';
import { invoke } from './api';

export const MERCHANT_FUNCTION_NAME = 'merchant';

/** Same transports, Result handling and ApiError as `checkout` (cloud: callFunction 'merchant'; local: POST /api/merchant). */
export function callMerchant<A extends MerchantAction>(event: MerchantEventOf<A>): Promise<MerchantData[A]> {
  return invoke(MERCHANT_FUNCTION_NAME, event) as Promise<MerchantData[A]>;
}
