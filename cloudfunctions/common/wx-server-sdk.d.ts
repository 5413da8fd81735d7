// The part of wx-server-sdk's module shape this project uses (the package ships no usable typings for
// it). In tests and on the local host the module is the stand-in in scripts/local-host/wx-server-sdk.
declare module 'wx-server-sdk' {
  import type { Database } from './db/types';
  import type { OpenApi } from './shipping/openapi';
  export const DYNAMIC_CURRENT_ENV: unknown;
  export function init(opts?: { env?: unknown }): void;
  export function database(): Database;
  /** 云调用: needs the method listed in the function's config.json permissions.openapi. */
  export const openapi: OpenApi;
  export function getWXContext(): { OPENID?: string; APPID?: string; UNIONID?: string; ENV?: string; SOURCE?: string };
}
