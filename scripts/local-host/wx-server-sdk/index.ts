/**
 * Local stand-in of `wx-server-sdk` for tests (jest maps the module name here) and for the local host,
 * which redirects `require('wx-server-sdk')` of the built functions to this module. It has the SDK's
 * module shape (init, DYNAMIC_CURRENT_ENV, database, getWXContext, openapi) plus local-only controls:
 * runWithContext, useDatabase, useOpenApi, createMemoryDatabase, dumpCollection, listCollections, callCounts.
 */
import { currentCaller, runWithContext, type CallerContext } from './context';
import { createMemoryDatabase, type LocalDatabase } from './database/memory-database';

export { runWithContext, createMemoryDatabase };
export type { CallerContext, LocalDatabase };
export type { MemoryDatabaseOptions, LocalCollection } from './database/memory-database';
export { DatabaseError } from './database/errors';
export { DEFAULT_INDEXES, DEFAULT_LIMIT, MAX_LIMIT } from './database/memory-database';
export type { CallCounts } from './database/call-counts';
export { openapi, useOpenApi, OpenApiError, type OpenApiBackend } from './openapi';

/** Same value as the real SDK's marker for "the environment the function runs in". */
export const DYNAMIC_CURRENT_ENV: unique symbol = Symbol.for('DYNAMIC_CURRENT_ENV');

/** DevTools' local debugging reports ENV `local`; so does the stand-in unless init names an env. */
export const LOCAL_ENV = 'local';

export interface InitOptions {
  env?: string | typeof DYNAMIC_CURRENT_ENV | { functions?: string; database?: string; default?: string };
  traceUser?: boolean;
}

export interface WXContext {
  /** '' when the invocation has no mini-program user (the real context then omits the field). */
  OPENID: string;
  APPID: string;
  UNIONID?: string;
  ENV: string;
  SOURCE: string;
}

let envId: string = LOCAL_ENV;
let current: LocalDatabase | undefined;

export function init(opts: InitOptions = {}): void {
  const env = opts.env;
  if (typeof env === 'string') envId = env;
  else if (typeof env === 'object') envId = env.functions ?? env.default ?? LOCAL_ENV;
  else envId = LOCAL_ENV;
}

function backing(): LocalDatabase {
  current ??= createMemoryDatabase();
  return current;
}

/**
 * Functions usually call `cloud.database()` once at load time, before the host or a test installs its
 * database; the returned object therefore resolves the installed database on every `collection()` call.
 */
export function database(): LocalDatabase {
  return {
    get command() {
      return backing().command;
    },
    collection: (name) => backing().collection(name),
    runTransaction: (callback, times) => backing().runTransaction(callback, times),
    dump: (name) => backing().dump(name),
    collectionNames: () => backing().collectionNames(),
    callCounts: () => backing().callCounts(),
    close: () => backing().close(),
  };
}

/** Installs the database every `cloud.database()` handle uses from now on. */
export function useDatabase(db: LocalDatabase): void {
  current = db;
}

export function getWXContext(): WXContext {
  const caller = currentCaller();
  return {
    OPENID: caller?.OPENID ?? '',
    APPID: caller?.APPID ?? '',
    ...(caller?.UNIONID ? { UNIONID: caller.UNIONID } : {}),
    ENV: envId,
    SOURCE: caller?.SOURCE ?? (caller?.OPENID ? 'wx_client' : 'wx_unknown'),
  };
}

/** Read-only snapshot of a collection of the installed database, for the sandbox console. */
export function dumpCollection(name: string): ReturnType<LocalDatabase['dump']> {
  return backing().dump(name);
}

export function listCollections(): string[] {
  return backing().collectionNames();
}

/** Database calls the installed database has served so far, by kind (for `npm run bench`). */
export function callCounts(): ReturnType<LocalDatabase['callCounts']> {
  return backing().callCounts();
}
