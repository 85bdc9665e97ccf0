// The controller (`wirestate reconcile` without --once) as a child process a test can watch: its
// JSON log, its status file, signals, and a bounded stop. Always call kill() in afterAll.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, repoRoot } from './cli.js';
import { sleep } from './proc.js';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface Status {
  pid: number;
  startedAt: string;
  conditions: Condition[];
  lastAppliedDigest: string | null;
  specErrors: string[];
  passes: { startedAt: string; trigger: string[]; changes: number; drift: number; observed?: { read: number; reused: number }; error?: string }[];
  drift: { inSync: boolean; items: { kind: string; name: string; status: string }[] };
  stoppedAt?: string;
}

export interface Controller {
  pid: number;
  /** The log records so far (stderr's JSON lines). */
  logs(): LogRecord[];
  /** Everything written to stderr, for failure messages. */
  stderr(): string;
  /** The status file, or undefined before the controller wrote one. */
  status(): Status | undefined;
  /** "Ready True Converged" etc. */
  condition(type: string): string | undefined;
  /** Polls every 20 ms until `cond` holds; throws with the log after `timeoutMs`. */
  until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<number>;
  /** Waits until no pass is running and the status has not changed for `quietMs` (the follow-up pass after an apply is done). */
  quiet(quietMs?: number): Promise<void>;
  signal(sig: NodeJS.Signals): void;
  /** Resolves with the exit code (null after a signal) once the process has ended. */
  exited: Promise<number | null>;
  /** SIGKILL if still running; idempotent. */
  kill(): Promise<void>;
}

/** Starts `node bin/wirestate.js reconcile --log-format json ARGS…`; resolves once the status file shows the first pass done. */
export async function startController(args: readonly string[], { stateDir, hostNetns }: { stateDir: string; hostNetns: string }): Promise<Controller> {
  const child: ChildProcess = spawn(process.execPath, [cliPath, 'reconcile', '--log-format', 'json', ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const file = join(stateDir, `netns-${hostNetns}`, 'status.json');
  const c: Controller = {
    pid: child.pid ?? -1,
    logs: () =>
      err
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogRecord),
    stderr: () => err,
    status() {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Status;
      } catch {
        return undefined;
      }
    },
    condition(type) {
      const k = c.status()?.conditions.find((x) => x.type === type);
      return k && `${k.type} ${k.status} ${k.reason}`;
    },
    async until(what, cond, timeoutMs = 10_000) {
      const t0 = Date.now();
      for (;;) {
        if (await cond()) return Date.now() - t0;
        if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; controller log:\n${err.slice(-4000)}`);
        if (done) throw new Error(`the controller exited while waiting for ${what}; its log:\n${err.slice(-4000)}`);
        await sleep(20);
      }
    },
    async quiet(quietMs = 400) {
      let last = '';
      let since = Date.now();
      await c.until('the controller to be quiet', () => {
        const s = c.status() as (Status & { updatedAt: string }) | undefined;
        if (s?.updatedAt !== last) {
          last = s?.updatedAt ?? '';
          since = Date.now();
        }
        return c.condition('Reconciling') === 'Reconciling False Idle' && Date.now() - since >= quietMs;
      });
    },
    signal: (sig) => child.kill(sig),
    exited,
    async kill() {
      if (done) return;
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
    },
  };
  try {
    // A status file left by an earlier controller of the same host does not count.
    await c.until('the first pass', () => { const s = c.status(); return s?.pid === c.pid && s.passes.length > 0; }, 60_000);
  } catch (e) {
    await c.kill();
    throw e;
  }
  return c;
}
