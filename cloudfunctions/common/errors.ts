import type { ApiError, ErrorCode } from '../../typings/checkout';

/** An error with a contract code: its message is safe to show to the caller. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The payment provider refused, answered badly or could not be reached. */
export class ProviderError extends AppError {
  constructor(
    message: string,
    /** The provider's own error code (e.g. `PARAM_ERROR`, `ORDERPAID`), when it gave one. */
    readonly providerCode?: string,
    /** True when retrying the same request may succeed (timeouts, 5xx, SYSTEMERROR). */
    readonly retryable = false,
  ) {
    super('PROVIDER_ERROR', message);
    this.name = 'ProviderError';
  }
}

/** ProviderError code: placing a trade was not attempted so close to the order's expiry (see the v3 gateway). */
export const TIME_EXPIRE_TOO_CLOSE = 'TIME_EXPIRE_TOO_CLOSE';

export const invalidArgument = (message: string): AppError => new AppError('INVALID_ARGUMENT', message);

/**
 * Codes whose messages are for the operator, not the caller: configuration problems name files, key
 * errors and bad values; provider errors carry the provider's own words. The caller gets the code and
 * a sentence; the details go to the function log.
 */
const GENERIC_MESSAGES: Partial<Record<ErrorCode, string>> = {
  CONFIG_ERROR: 'This service is not configured correctly; the details are in the function log.',
  PROVIDER_ERROR: 'The payment provider could not complete the request; retrying is safe.',
};

export function toApiError(err: unknown): ApiError {
  if (err instanceof AppError) {
    const generic = GENERIC_MESSAGES[err.code];
    if (generic === undefined) return { code: err.code, message: err.message };
    console.error(`[${err.code}] ${err.message}`);
    return { code: err.code, message: generic };
  }
  return { code: 'INTERNAL', message: 'Internal error; see the function log.' };
}
