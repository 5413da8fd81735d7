import type { TransactionDocRef } from './types';

/**
 * Conflicting transactions (the same product or user, at once) are run again; the local stand-in
 * retries instead of waiting as the cloud database does, so a burst needs about one round per
 * concurrent writer of the same document.
 */
export const TRANSACTION_ATTEMPTS = 50;

/** The document inside a transaction, or undefined when it does not exist (a transaction's get rejects then). */
export async function getIfExists<T>(ref: TransactionDocRef): Promise<T | undefined> {
  try {
    return (await ref.get()).data as unknown as T;
  } catch (err) {
    // The SDK's wording for a missing document ("cannot find document with _id …").
    if (/cannot find document|does not exist/i.test(String((err as Error)?.message))) return undefined;
    throw err;
  }
}
