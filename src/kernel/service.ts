// Starting and stopping wirestate's own long-running commands (`wirestate dns`) inside the host
// namespace they serve: in the background for reconcile, or in the foreground for a person.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { command } from './run.js';

/** This program, as the running process was started: `node …/bin/wirestate.js`. */
function self(args: string[]): [string, string[]] {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot tell which script is running, so cannot start a wirestate service');
  return [process.execPath, [...process.execArgv, entry, ...args]];
}

const netnsPath = (netns: string): string => (netns.includes('/') ? netns : `/run/netns/${netns}`);

/** True when this process already runs in `netns` (null: no namespace asked for). */
export function inNetns(netns: string | null): boolean {
  if (netns === null) return true;
  return statSync('/proc/self/ns/net').ino === statSync(netnsPath(netns)).ino;
}

export interface Started {
  pid: number;
  /** Resolves with a description when the process ends (early: it failed to start). */
  exited: Promise<string>;
}

/**
 * `wirestate ARGS…` in `netns`, detached in its own session, stdout and stderr appended to `log`:
 * it outlives this process. The caller waits for it to answer before relying on it.
 */
export function startDetached(netns: string | null, args: string[], log: string): Started {
  const [node, argv] = self(args);
  const [file, fileArgs] = command(node, argv, netns);
  const out = openSync(log, 'a', 0o600);
  try {
    const child = spawn(file, fileArgs, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, LC_ALL: 'C' } });
    const exited = new Promise<string>((resolve) => {
      child.on('error', (e) => resolve(e.message));
      child.on('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with status ${code}`));
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${file}`);
    return { pid: child.pid, exited };
  } finally {
    closeSync(out);
  }
}

/** `wirestate ARGS…` in `netns` in the foreground, passing on the signals that stop or reload it; resolves with its exit status. */
export function runForeground(netns: string, args: string[]): Promise<number> {
  const [node, argv] = self(args);
  const [file, fileArgs] = command(node, argv, netns);
  const child = spawn(file, fileArgs, { stdio: 'inherit' });
  const pass = (sig: NodeJS.Signals) => () => child.kill(sig);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, pass(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const [sig, h] of handlers) process.off(sig, h);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/** True when `pid` is alive and its command line has every one of `words` (a pid file may name a reused pid). */
export function isProcess(pid: number, words: readonly string[]): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return words.every((w) => argv.includes(w));
  } catch {
    return false;
  }
}
