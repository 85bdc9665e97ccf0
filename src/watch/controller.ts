// `wirestate reconcile DIR` without --once: the loop wired to its triggers (spec files, the key
// files the spec names, kernel events, the resync period, SIGHUP), its outputs (log, status file,
// metrics) and a clean stop on SIGINT/SIGTERM — the pass in flight finishes, nothing is torn
// down, exit status 0.
import type { Target } from '../pipeline/pass.js';
import { readNetnsIds } from '../observe/netns-ids.js';
import { type ParseCache, loadSpec } from '../spec/index.js';
import { keyFilePaths } from '../spec/keyfile.js';
import { acquireLock } from '../store/lock.js';
import { hostStateDir } from '../store/state-file.js';
import { Backoff, DEFAULT_BACKOFF } from './backoff.js';
import { formatDuration } from './duration.js';
import { watchSpec } from './files.js';
import { watchKernel } from './kernel-events.js';
import { watchKeyFiles } from './key-files.js';
import { createLogger, type LogFormat } from './log.js';
import { ControlLoop } from './loop.js';
import { fullCollector } from './memory.js';
import { Metrics } from './metrics.js';
import { type ListenAddress, startMetricsServer } from './metrics-server.js';
import { ObserveScope } from './observe-scope.js';
import { healPass, reportPass } from './passes.js';
import { statusPath, writeStatus } from './status.js';

export interface ControllerOptions {
  target: Target;
  /** false: report drift, never change the kernel (--no-heal). */
  heal: boolean;
  allowEmpty: boolean;
  resyncMs: number;
  metricsAddr?: ListenAddress;
  logFormat: LogFormat;
  logLevel: string;
}

/** Quiet time that coalesces a burst of triggers into one pass, and the longest a pass waits for quiet. */
const SETTLE_MS = 20;
const MAX_SETTLE_MS = 500;

/** Runs until SIGINT or SIGTERM. Throws (before any pass) when another controller watches this host or the metrics address cannot be bound. */
export async function runController(o: ControllerOptions): Promise<void> {
  const t = o.target;
  const log = createLogger(o.logFormat, o.logLevel);
  const releaseHost = await acquireLock(hostStateDir(t.stateDir, t.hostNetns), { file: 'controller.lock', busy: 'is already the controller of this host; stop it first' });
  const cleanups: (() => Promise<void>)[] = [releaseHost];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const metrics = new Metrics(Date.now());
    const server = o.metricsAddr ? await startMetricsServer(o.metricsAddr, () => metrics.render()) : undefined;
    if (server) cleanups.push(() => server.close());
    const file = statusPath(t.stateDir, t.hostNetns);
    const collect = fullCollector();
    // Unchanged files are not parsed again: an edit to one file of many costs that file.
    const parsed: ParseCache = new Map();
    // Likewise endpoint namespaces: a pass reads again those kernel events say changed.
    const scope = new ObserveScope(() => readNetnsIds(t.hostNetns));
    const loop = new ControlLoop({
      heal: o.heal,
      resyncMs: o.resyncMs,
      settleMs: SETTLE_MS,
      maxSettleMs: MAX_SETTLE_MS,
      backoff: new Backoff(DEFAULT_BACKOFF),
      load: () => loadSpec(t.dir, parsed),
      specLoaded: (spec) => {
        const files = keyFilePaths(spec);
        keyFiles.follow(Object.values(files));
        // Every encrypted overlay has a key file (validate insists), and only those have IPsec.
        kernel.watchXfrm(Object.keys(files).length > 0);
      },
      pass: o.heal ? healPass(t, o.allowEmpty, scope) : reportPass(t, scope),
      afterPass: async (outcome) => {
        await kernel.track(outcome.namespaces);
        collect();
      },
      publish: (s) => writeStatus(file, s),
      log,
      metrics,
      status: { pid: process.pid, dir: t.dir, hostNetns: t.hostNetns, resyncMs: o.resyncMs },
    });
    const kernel = watchKernel(
      t.hostNetns,
      (event) => {
        log.debug({ event }, 'kernel event');
        loop.trigger('kernel');
      },
      log,
      scope,
    );
    cleanups.push(() => kernel.close());
    const keyFiles = watchKeyFiles(
      (file) => {
        log.debug({ file }, 'key file changed');
        loop.trigger('keyfile');
      },
      (folder, e) => log.warn({ folder, error: e.message }, 'cannot watch this folder of key files; their changes are found at the next resync'),
    );
    cleanups.push(async () => keyFiles.close());
    const files = await watchSpec(
      t.dir,
      (path) => {
        log.debug({ path }, 'spec file changed');
        loop.trigger('file');
      },
      (e) => log.error({ error: e.message }, 'watching the spec files failed'),
    );
    cleanups.push(() => files.close());

    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      // The first SIGINT/SIGTERM stops cleanly; with the handlers gone, a second one ends the process at once.
      const onStop = (sig: NodeJS.Signals): void => {
        process.off('SIGINT', onStop).off('SIGTERM', onStop);
        resolve(sig);
      };
      const onHup = (): void => {
        log.info('SIGHUP: forcing a pass');
        loop.trigger('signal');
      };
      process.on('SIGINT', onStop).on('SIGTERM', onStop).on('SIGHUP', onHup);
      cleanups.push(async () => {
        process.off('SIGINT', onStop).off('SIGTERM', onStop).off('SIGHUP', onHup);
      });
    });
    log.info(
      { dir: t.dir, hostNetns: t.hostNetns, mode: loop.status.mode, resync: formatDuration(o.resyncMs), status: file, ...(server ? { metrics: `http://${server.address}/metrics` } : {}) },
      'controller started',
    );
    loop.trigger('start');
    const sig = await stopped;
    log.info({ signal: sig }, 'stopping: finishing the pass in flight; the kernel is left as it is');
    await loop.stop();
    log.info('stopped');
  } finally {
    await cleanup();
  }
}
