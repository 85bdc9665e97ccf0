// Kernel events as triggers: a link, address or route change in the host namespace or in an
// endpoint namespace, a change to an overlay's neighbour or forwarding entries, and — while the
// spec has an encrypted overlay — to wirestate's IPsec states and policies mark the host dirty.
// kernel-filter.ts drops what traffic alone causes; beyond that a line only says which namespace
// changed (observe-scope.ts: that one is read again), so an event wirestate does not care about
// costs one pass that finds nothing to do. Firewall rules have no events: a flushed chain is found
// by the periodic resync.
import { assignNsids, type Monitor, monitorKernel, monitorXfrm } from '../kernel/monitor.js';
import { Backoff } from './backoff.js';
import { ipEventMatters, xfrmEvent } from './kernel-filter.js';
import type { Logger } from './log.js';

export interface KernelWatcher {
  /** Makes sure these endpoint namespaces' events are reported (see assignNsids). */
  track(namespaces: readonly string[]): Promise<void>;
  /** Starts or stops watching IPsec states and policies: only encrypted overlays have any. */
  watchXfrm(on: boolean): void;
  close(): Promise<void>;
}

type Start = (onLine: (line: string) => void, onStderr: (text: string) => void) => Monitor;

/** What the controller's ObserveScope learns from `ip monitor`: the lines that count, and when events may have gone unreported. */
export interface MonitorFeed {
  event(line: string): void;
  monitorStarted(): void;
  monitorExited(): void;
  monitorError(): void;
}

/**
 * Runs one monitor, passing on the lines `filter` maps to something to log; restarts it with
 * backoff if it dies (say, while the host namespace is briefly gone).
 */
function supervise(name: string, start: Start, filter: (line: string) => string | undefined, onEvent: (event: string) => void, log: Logger, feed?: MonitorFeed): () => Promise<void> {
  let closed = false;
  let monitor: Monitor;
  let restartTimer: NodeJS.Timeout | undefined;
  const backoff = new Backoff({ initialMs: 1_000, maxMs: 60_000 });
  const run = (): void => {
    const started = Date.now();
    monitor = start(
      (line) => {
        const event = filter(line);
        if (event === undefined) return;
        feed?.event(line);
        onEvent(event);
      },
      (text) => {
        // ip prints a netlink receive error (ENOBUFS: events dropped) and carries on.
        feed?.monitorError();
        log.warn({ stderr: text.trim() }, name);
      },
    );
    feed?.monitorStarted();
    void monitor.exited.then((code) => {
      if (closed) return;
      feed?.monitorExited();
      // A monitor that ran for a while before dying starts the backoff afresh.
      if (Date.now() - started > 60_000) backoff.reset();
      const delay = backoff.next();
      // Logged when the restart happens: Ctrl-C on a terminal ends the monitor too, just before the controller stops.
      restartTimer = setTimeout(() => {
        log.warn({ monitor: name, code, afterMs: delay }, 'the kernel event monitor had exited; restarted it (changes in between are found by this pass)');
        run();
        onEvent(`${name} restarted`);
      }, delay);
    });
  };
  run();
  return async () => {
    closed = true;
    clearTimeout(restartTimer);
    await monitor.stop();
  };
}

/** Starts the monitor of links, addresses, routes and neighbours, whose lines also go to `feed`; the IPsec one on watchXfrm(true). */
export function watchKernel(hostNetns: string | null, onEvent: (event: string) => void, log: Logger, feed: MonitorFeed): KernelWatcher {
  const closeLinks = supervise('ip monitor', (onLine, onStderr) => monitorKernel(hostNetns, onLine, onStderr), (line) => (ipEventMatters(line) ? line : undefined), onEvent, log, feed);
  let closeXfrm: (() => Promise<void>) | undefined;
  let xfrmStopped = Promise.resolve();
  return {
    track: (namespaces) => assignNsids(hostNetns, namespaces),
    watchXfrm(on) {
      if (on && !closeXfrm) {
        closeXfrm = supervise('ip xfrm monitor', (onLine, onStderr) => monitorXfrm(hostNetns, onLine, onStderr), xfrmEvent, onEvent, log);
      } else if (!on && closeXfrm) {
        xfrmStopped = closeXfrm();
        closeXfrm = undefined;
      }
    },
    async close() {
      await Promise.all([closeLinks(), closeXfrm?.(), xfrmStopped]);
    },
  };
}
