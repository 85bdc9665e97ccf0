// Kernel change events for the control loop, from long-running processes in the host namespace.
// `ip -o monitor all-nsid label link address route neigh` reports link, address, route and
// neighbour changes there and in every namespace that has an id (nsid) in it; iproute2 prints the
// bridge FDB's entries as neighbours, so the overlays' forwarding entries come with them. One
// process covers a thousand endpoints (measured: ~3 MB RSS per `ip monitor`, so one monitor per
// endpoint namespace would cost ~3 GB and a thousand processes). `ip -o xfrm monitor nokeys SA
// policy` reports the host's IPsec states and policies, never printing a key.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { command, run } from './run.js';

export interface Monitor {
  /** Resolves with the exit code (null when killed by a signal) once the process has ended. */
  exited: Promise<number | null>;
  /** Ends the process (SIGTERM) and waits for it. Idempotent. */
  stop(): Promise<void>;
}

/** Starts `ip -o monitor all-nsid label link address route neigh` in `netns`; calls `onLine` with every event line. */
export function monitorKernel(netns: string | null, onLine: (line: string) => void, onStderr: (text: string) => void): Monitor {
  return monitor(['-o', 'monitor', 'all-nsid', 'label', 'link', 'address', 'route', 'neigh'], netns, onLine, onStderr);
}

/** Starts `ip -o xfrm monitor nokeys SA policy` in `netns` (its IPsec objects only); calls `onLine` with every event line. */
export function monitorXfrm(netns: string | null, onLine: (line: string) => void, onStderr: (text: string) => void): Monitor {
  return monitor(['-o', 'xfrm', 'monitor', 'nokeys', 'SA', 'policy'], netns, onLine, onStderr);
}

function monitor(args: string[], netns: string | null, onLine: (line: string) => void, onStderr: (text: string) => void): Monitor {
  const [file, argv] = command('ip', args, netns);
  const child = spawn(file, argv, { env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: child.stdout }).on('line', onLine);
  child.stderr.setEncoding('utf8').on('data', onStderr);
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      onStderr(e.message);
      resolve(127);
    });
    child.on('close', (code) => resolve(code));
  });
  return {
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Gives each named namespace an id in the host namespace (`ip netns set NAME auto`), so
 * monitorKernel reports its events. A veth already gives its peer's namespace an id; this covers
 * endpoints without one (network `none`). Names that already have an id, or are gone, are skipped
 * by the kernel; namespaces given as paths cannot be named here and are left to the periodic resync.
 */
export async function assignNsids(hostNetns: string | null, names: readonly string[]): Promise<void> {
  const named = names.filter((n) => !n.includes('/'));
  if (named.length === 0) return;
  await run('ip', ['-force', '-batch', '-'], { netns: hostNetns, input: named.map((n) => `netns set ${n} auto\n`).join('') });
}
