/**
 * Database calls by kind, as the cloud bills and times them: each is one round trip there. `read` is
 * doc().get(), `query` a collection get() or count(), `write` an add/set/update/remove (of one document
 * or of a where()), `transaction` one runTransaction attempt (its own reads and writes count as well).
 */
export type CallKind = 'read' | 'query' | 'write' | 'transaction';
export type CallCounts = Record<CallKind, number>;

export class CallCounter {
  private readonly counts: CallCounts = { read: 0, query: 0, write: 0, transaction: 0 };

  add(kind: CallKind): void {
    this.counts[kind]++;
  }

  snapshot(): CallCounts {
    return { ...this.counts };
  }
}
