import { randomBytes } from 'node:crypto';
import type { CallCounter } from './call-counts';
import { DatabaseError, ErrCode, invalidParam } from './errors';
import type { SqliteStore } from './sqlite-store';
import type { Doc } from '../../../../cloudfunctions/common/db/types';
import { checkValue, cloneValue, isPlainObject, type PlainObject } from './values';

/** What every database call shares: how it is queued, checked and counted. */

/** What the collection and document objects share: the store and the call counter. */
export interface Backend {
  store: SqliteStore;
  counts: CallCounter;
}

const COLLECTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Validates and copies input now, then runs `run` alone once the caller's synchronous code is done;
 * rejects instead of throwing. A promise job rather than a timer, so tests using jest's fake timers
 * still reach the database.
 */
export function op<T>(prepare: () => () => T): Promise<T> {
  let run: () => T;
  try {
    run = prepare();
  } catch (err) {
    return Promise.reject(err);
  }
  return Promise.resolve().then(run);
}

export function dataOf(opts: unknown, api: string): PlainObject {
  if (!isPlainObject(opts) || !isPlainObject(opts.data)) throw invalidParam(api, 'expected { data: { ... } }');
  return opts.data;
}

export function checkId(id: unknown, api: string): asserts id is string {
  if (typeof id !== 'string' || id === '') throw invalidParam(api, `_id must be a non-empty string, got ${JSON.stringify(id)}`);
}

export function newId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * An add()'s document as it is stored: its data checked and copied, with its own _id or a new one,
 * _id first (as the console shows it; the server SDK adds no _openid).
 */
export function addedDoc(opts: unknown, api: string): Doc {
  const data = dataOf(opts, api);
  if (data._id !== undefined) checkId(data._id, api);
  checkValue(data, api, '');
  const doc = cloneValue(data);
  return { _id: typeof doc._id === 'string' ? doc._id : newId(), ...doc } as Doc;
}

export const notFound = (api: string, id: string): DatabaseError =>
  new DatabaseError(ErrCode.FAIL, `${api}:fail cannot find document with _id ${id}, please make sure that the document exists`);

export const checkCollectionName = (name: string): void => {
  if (typeof name !== 'string' || !COLLECTION_NAME.test(name)) {
    throw invalidParam('database.collection', `collection name must be 1-64 letters, digits, "_" or "-", got ${JSON.stringify(name)}`);
  }
};
