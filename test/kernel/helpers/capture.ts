// tcpdump inside a test namespace, stopped by the pid this helper started.
import { spawn } from 'node:child_process';
import { sleep } from './proc.js';

export interface Capture {
  pid: number;
  /** Stops tcpdump (SIGINT, then SIGKILL after 2 s) and returns the packets it printed, one a line. Idempotent. */
  stop(): Promise<string[]>;
}

/**
 * Starts `tcpdump --immediate-mode -l -n -i IFACE FILTER…` in `ns`; resolves once it listens (at
 * most 5 s). Immediate mode: without it packets wait in the kernel's buffer for up to a second, and
 * a capture stopped right after the traffic would miss them.
 */
export async function capture(ns: string, iface: string, filter: string[]): Promise<Capture> {
  const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '--immediate-mode', '-l', '-n', '-i', iface, ...filter], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exited = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const closed = new Promise<void>((resolve) => {
    child.on('close', () => ((exited = true), resolve()));
    child.on('error', () => ((exited = true), resolve()));
  });
  const stop = async (): Promise<string[]> => {
    if (!exited) {
      // Packets of the last moment may still be on their way to tcpdump's output.
      await sleep(200);
      child.kill('SIGINT');
      if (!(await Promise.race([closed.then(() => true), sleep(2_000).then(() => false)]))) child.kill('SIGKILL');
      await Promise.race([closed, sleep(2_000)]);
    }
    return out.split('\n').filter((l) => l.trim() !== '');
  };
  for (let i = 0; i < 50 && !exited && !/listening on/.test(err); i++) await sleep(100);
  if (!/listening on/.test(err)) {
    await stop();
    throw new Error(`tcpdump did not start in ${ns} on ${iface}: ${err.trim()}`);
  }
  return { pid: child.pid ?? -1, stop };
}
