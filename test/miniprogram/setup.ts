/**
 * Test host for mini-program code under miniprogram-simulate (jsdom). Simulate defines Component and a
 * mocked `wx`; this adds what it lacks: App/getApp/getCurrentPages, wx.cloud, and a real in-memory storage.
 * Import it first in every test file that loads pages or stores.
 */
import simulate from 'miniprogram-simulate';

type AnyObject = Record<string, unknown>;

const g = globalThis as unknown as AnyObject & { wx: AnyObject };

let appOptions: AnyObject | null = null;
g.App = (options: AnyObject) => {
  appOptions = options;
};
g.getApp = () => appOptions;
g.getCurrentPages = () => [];
g.Page = () => {
  throw new Error('pages are written with Component(); Page() is not used');
};

export const storage = new Map<string, unknown>();
g.wx.setStorageSync = (key: string, value: unknown) => {
  storage.set(key, JSON.parse(JSON.stringify(value)));
};
g.wx.getStorageSync = (key: string) => (storage.has(key) ? storage.get(key) : '');
g.wx.removeStorageSync = (key: string) => {
  storage.delete(key);
};
g.wx.cloud = {
  init: () => undefined,
  callFunction: () => Promise.reject(new Error('wx.cloud.callFunction is not available in tests: use setTransport')),
};

export { simulate };

/** The TypeScript sources, or in the `compiled` jest project the package miniprogram-ci compiled. */
export const MINIPROGRAM_ROOT: string = process.env.MINIPROGRAM_COMPILED_ROOT ?? require('node:path').join(__dirname, '..', '..', 'miniprogram');
export const COMPILED = process.env.MINIPROGRAM_COMPILED_ROOT !== undefined;

/** Loads a page once (simulate cannot load the same path twice per file). */
export function loadPage(route: string): string {
  return simulate.load(require('node:path').join(MINIPROGRAM_ROOT, route), { rootPath: MINIPROGRAM_ROOT });
}

/** Lets taps, promises and mobx-to-setData updates land. */
export async function settle(ticks = 4): Promise<void> {
  for (let i = 0; i < ticks; i++) await simulate.sleep(0);
}

/** Waits until `predicate` holds (polling loops run on real timers in these tests). */
export async function until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await simulate.sleep(5);
  }
}

export function getAppOptions(): AnyObject {
  if (!appOptions) throw new Error('App() was not called');
  return appOptions;
}

interface Attachable {
  attach(parent: unknown): void;
}

/** Attaches a rendered page to the jsdom document (fires `attached`, which starts the store bindings). */
export function mount<T extends Attachable>(comp: T): T {
  const doc = (globalThis as unknown as { document: { createElement(tag: string): unknown } }).document;
  comp.attach(doc.createElement('parent-wrapper'));
  return comp;
}

/** Every setData payload the component sends from now on, in order (they are still applied). */
export function recordSetData(comp: { instance: unknown }): Array<Record<string, unknown>> {
  const payloads: Array<Record<string, unknown>> = [];
  const inst = comp.instance as { setData(d: Record<string, unknown>): void };
  const original = inst.setData.bind(inst);
  inst.setData = (d) => {
    payloads.push(d);
    original(d);
  };
  return payloads;
}
