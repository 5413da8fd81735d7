import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { ROOT } from './sandbox';

/** The built local host (`npm start` without the build step) as a child process, for smoke tests. */

const listenOn = (port: number): Promise<net.Server | undefined> =>
  new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(undefined));
    probe.listen(port, '127.0.0.1', () => resolve(probe));
  });
const close = (s: net.Server): Promise<void> => new Promise((r) => s.close(() => r()));

/**
 * A port free right now whose next one is free too: the host listens on PORT and, for mutual TLS, on
 * PORT+1. It must come back on the same one after a restart (its orders' notify_url names it).
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const first = await listenOn(0);
    if (!first) continue;
    const port = (first.address() as net.AddressInfo).port;
    const next = port < 65535 ? await listenOn(port + 1) : undefined;
    await close(first);
    if (next) {
      await close(next);
      return port;
    }
  }
  throw new Error('no two consecutive free ports found');
}

export function startHost(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, '.build', 'local-host.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 10 s:\n${out}`)), 10_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /Local host listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
}

export const stop = (child: ChildProcess): Promise<void> =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
