// DNS in kernel tests: an upstream resolver of the test's own inside a test namespace (never a
// real one), and dig run inside an endpoint.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inNs } from './netns.js';
import type { RunResult } from './proc.js';
import { sleep } from './proc.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'dns-upstream.mjs');

export interface Upstream {
  pid: number;
  /** Stops it by its pid: SIGTERM, then SIGKILL after 2 s. Idempotent. */
  stop(): Promise<void>;
}

/** Starts dns-upstream.mjs in `ns` on `listen`:53, answering names under upstream.test with `answer`; resolves once it listens (at most 5 s). */
export async function startUpstream(ns: string, listen: string, answer: string): Promise<Upstream> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, SCRIPT, listen, answer], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let exited = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const closed = new Promise<void>((resolve) => child.on('close', () => ((exited = true), resolve())));
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    if (!(await Promise.race([closed.then(() => true), sleep(2_000).then(() => false)]))) child.kill('SIGKILL');
    await Promise.race([closed, sleep(2_000)]);
  };
  for (let i = 0; i < 50 && !exited && !out.includes('ready'); i++) await sleep(100);
  if (!out.includes('ready')) {
    await stop();
    throw new Error(`the test upstream did not start in ${ns} on ${listen}: ${out.trim()}`);
  }
  return { pid: child.pid ?? -1, stop };
}

/** `dig @127.0.0.11 +tries=1 ARGS…` inside `ns`, bounded. */
export function dig(ns: string, args: readonly string[], { time = 3 }: { time?: number } = {}): Promise<RunResult> {
  return inNs(ns, 'dig', ['@127.0.0.11', '+tries=1', `+time=${time}`, ...args], { timeoutMs: (time + 5) * 1000 });
}

/** The answers of `dig +short`, sorted; empty for none (NXDOMAIN, an empty answer, no server). */
export async function lookup(ns: string, args: readonly string[], opts: { time?: number } = {}): Promise<string[]> {
  const r = await dig(ns, ['+short', ...args], opts);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith(';;'))
    .sort();
}

/** The status dig reports (NOERROR, NXDOMAIN, SERVFAIL…), or the reason it got none. */
export async function status(ns: string, args: readonly string[], opts: { time?: number } = {}): Promise<string> {
  const r = await dig(ns, args, opts);
  return /status: (\w+)/.exec(r.stdout)?.[1] ?? (r.stdout.match(/;; (.*(?:refused|timed out|reached).*)/)?.[1] ?? `no answer (exit ${r.code})`);
}
