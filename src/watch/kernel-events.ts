// Kernel events as triggers: every link, address or route change in the host namespace or in an
// endpoint namespace marks the host dirty. The lines are not parsed — a pass re-reads everything —
// so an event wirestate does not care about costs one pass that finds nothing to do. Firewall
// rules have no events: a flushed chain is found by the periodic resync.
import { assignNsids, type Monitor, monitorKernel } from '../kernel/monitor.js';
import { Backoff } from './backoff.js';
import type { Logger } from './log.js';

export interface KernelWatcher {
  /** Makes sure these endpoint namespaces' events are reported (see assignNsids). */
  track(namespaces: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Starts the monitor; restarts it with backoff if it dies (say, while the host namespace is briefly gone). */
export function watchKernel(hostNetns: string | null, onEvent: (line: string) => void, log: Logger): KernelWatcher {
  let closed = false;
  let monitor: Monitor;
  let restartTimer: NodeJS.Timeout | undefined;
  const backoff = new Backoff({ initialMs: 1_000, maxMs: 60_000 });
  const start = (): void => {
    const started = Date.now();
    monitor = monitorKernel(hostNetns, onEvent, (text) => log.warn({ stderr: text.trim() }, 'ip monitor'));
    void monitor.exited.then((code) => {
      if (closed) return;
      // A monitor that ran for a while before dying starts the backoff afresh.
      if (Date.now() - started > 60_000) backoff.reset();
      const delay = backoff.next();
      // Logged when the restart happens: Ctrl-C on a terminal ends the monitor too, just before the controller stops.
      restartTimer = setTimeout(() => {
        log.warn({ code, afterMs: delay }, 'the kernel event monitor had exited; restarted it (changes in between are found by this pass)');
        start();
        onEvent('monitor restarted');
      }, delay);
    });
  };
  start();
  return {
    track: (namespaces) => assignNsids(hostNetns, namespaces),
    async close() {
      closed = true;
      clearTimeout(restartTimer);
      await monitor.stop();
    },
  };
}
