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

export const invalidArgument = (message: string): AppError => new AppError('INVALID_ARGUMENT', message);

export function toApiError(err: unknown): ApiError {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'Internal error; see the function log.' };
}
