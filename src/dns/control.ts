// The DNS service's control socket: reconcile tells it to reload its records, or to let go of
// namespaces about to be deleted, and waits for the answer. One JSON line each way.
import net from 'node:net';

export type ControlRequest = { op: 'reload' } | { op: 'release'; netns: string[] } | { op: 'status' };

/** What the service says after every request, and writes to its status file after every change. */
export interface ServiceStatus {
  pid: number;
  /** Digest of the records file it loaded ('' before it could load one). */
  digest: string;
  /** Why some endpoint gets no answers: a namespace that does not exist, a port already taken. */
  problems: string[];
  /** Endpoints it listens in. */
  serving: number;
}

export type ControlReply = ServiceStatus | { error: string };

export const CONTROL_TIMEOUT_MS = 10_000;

/** Sends one request; rejects when the service is not there, fails, or does not answer in time. */
export function controlRequest(path: string, request: ControlRequest, timeoutMs = CONTROL_TIMEOUT_MS): Promise<ServiceStatus> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    let received = '';
    const done = (e: Error | undefined, status?: ServiceStatus): void => {
      clearTimeout(timer);
      socket.destroy();
      if (e) reject(e);
      else resolve(status!);
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${path} within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (d: string) => {
      received += d;
      const nl = received.indexOf('\n');
      if (nl < 0) return;
      try {
        const reply = JSON.parse(received.slice(0, nl)) as ControlReply;
        if ('error' in reply) done(new Error(reply.error));
        else done(undefined, reply);
      } catch (e) {
        done(e as Error);
      }
    });
    socket.on('error', (e) => done(e));
    socket.on('end', () => done(new Error(`${path} closed without an answer`)));
  });
}
