// A TCP listener inside a namespace (netcat-openbsd's `nc -lk`) and a client to poke it.
import { spawn } from 'node:child_process';
import { inNs, type OutsideNs } from './netns.js';
import { sleep } from './proc.js';

export interface TcpServer {
  /** Stops the listener (SIGTERM, then SIGKILL), by the pid this helper started. Idempotent. */
  (): Promise<void>;
  pid: number;
  /** What clients sent, concatenated. */
  received(): string;
  /** nc's -v log: one "Connection received on ADDR PORT" line per client, to check source addresses. */
  log(): string;
}

/**
 * Starts `nc -lknv [ADDR] PORT` inside `ns` and resolves once the port is listening (at most 5 s).
 * Call the returned function to stop it; the host's cleanup() also ends it if a test forgets.
 */
export async function tcpServer(ns: string, port: number, { addr }: { addr?: string } = {}): Promise<TcpServer> {
  const child = spawn('ip', ['netns', 'exec', ns, 'nc', '-lknv', ...(addr ? [addr] : []), String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let received = '';
  let log = '';
  let exited = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (received += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
  const closed = new Promise<void>((resolve) => {
    child.on('close', () => {
      exited = true;
      resolve();
    });
    child.on('error', () => {
      exited = true;
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([closed.then(() => true), sleep(2_000).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await Promise.race([closed, sleep(2_000)]);
    }
  };
  const server = Object.assign(stop, { pid: child.pid ?? -1, received: () => received, log: () => log });
  for (let i = 0; i < 50; i++) {
    if (exited) break;
    const r = await inNs(ns, 'ss', ['-Hltn', `sport = :${port}`], { timeoutMs: 5_000 });
    if (r.code === 0 && r.stdout.trim() !== '') return server;
    await sleep(100);
  }
  await stop();
  throw new Error(`nc did not start listening on port ${port} in ${ns}: ${log.trim()}`);
}

/** True when a TCP connection from `ns` to addr:port succeeds within `timeoutS`; sends `data` if given. */
export async function tcpConnect(ns: string, addr: string | OutsideNs, port: number, { data, timeoutS = 2 }: { data?: string; timeoutS?: number } = {}): Promise<boolean> {
  const target = typeof addr === 'string' ? addr : addr.addr;
  const args = data === undefined ? ['-nz', '-w', String(timeoutS), target, String(port)] : ['-nN', '-w', String(timeoutS), target, String(port)];
  const r = await inNs(ns, 'nc', args, { input: data, timeoutMs: (timeoutS + 3) * 1000 });
  return r.code === 0;
}
