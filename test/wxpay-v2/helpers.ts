import * as crypto from 'node:crypto';
import type { V2SignType, WxPayV2Config } from '../../cloudfunctions/common/config';

export { serveEmulator, serveNotify, type Served } from '../helpers/loopback';

/** A fresh merchant for each test run: keys are generated, never stored. */
export function merchant() {
  return {
    mchid: '1900000109',
    appid: `wx${crypto.randomBytes(8).toString('hex')}`,
    key: crypto.randomBytes(16).toString('hex'),
  };
}

export function v2Config(m: ReturnType<typeof merchant>, apiBase: string, notifyUrl: string, signType: V2SignType): WxPayV2Config {
  return { version: 'v2', appid: m.appid, mchid: m.mchid, key: m.key, apiBase, notifyUrl, signType };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
