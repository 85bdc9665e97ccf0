// The services wirestate runs (the DNS resolver): started in the background in the host
// namespace, told to reload after the files they serve were written, stopped when no longer
// wanted — and, before any namespace is deleted, told to close their sockets in it, because an
// open socket keeps a deleted namespace (and the veth in it) alive.
import { readFile, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ServiceStatus, controlRequest } from '../dns/control.js';
import { isProcess, startDetached } from '../kernel/service.js';
import type { Change } from '../model/plan.js';
import { type ServicePaths, servicePaths } from '../store/run-dir.js';
import type { Steps } from './files.js';

export type ServiceChange = Extract<Change, { kind: 'service' }>;

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function pidOf(paths: ServicePaths, name: string): Promise<number | undefined> {
  const pid = Number((await readFile(paths.pid, 'utf8').catch(() => '')).trim());
  return pid > 0 && isProcess(pid, [name]) ? pid : undefined;
}

/** SIGTERM, then SIGKILL if it is still there after STOP_TIMEOUT_MS. */
async function stop(paths: ServicePaths, name: string): Promise<void> {
  const pid = await pidOf(paths, name);
  if (pid === undefined) return;
  for (const [signal, wait] of [['SIGTERM', STOP_TIMEOUT_MS], ['SIGKILL', 1_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (let waited = 0; waited < wait; waited += POLL_MS) {
      if (!isProcess(pid, [name])) return;
      await sleep(POLL_MS);
    }
  }
  throw new Error(`${name} service (pid ${pid}) did not stop`);
}

async function lastLogLine(paths: ServicePaths): Promise<string> {
  const log = await readFile(paths.log, 'utf8').catch(() => '');
  return log.trim().split('\n').slice(-1)[0] ?? '';
}

/** `wirestate NAME [--netns HOST]` in the background; resolves once it answers on its control socket. */
async function start(hostNetns: string | null, name: string, paths: ServicePaths): Promise<ServiceStatus> {
  const started = startDetached(hostNetns, [name, ...(hostNetns ? ['--netns', hostNetns] : [])], paths.log);
  let exited: string | undefined;
  void started.exited.then((how) => (exited = how));
  for (let waited = 0; waited < START_TIMEOUT_MS; waited += POLL_MS) {
    if (exited !== undefined) throw new Error(`the ${name} service ${exited}: ${await lastLogLine(paths)} (log: ${paths.log})`);
    try {
      return await controlRequest(paths.control, { op: 'status' }, 1_000);
    } catch {
      await sleep(POLL_MS);
    }
  }
  throw new Error(`the ${name} service (pid ${started.pid}) did not answer within ${START_TIMEOUT_MS / 1000} s (log: ${paths.log})`);
}

/** Reloads a running service; one that is not there or does not answer is (re)started. */
async function ensure(hostNetns: string | null, name: string, paths: ServicePaths): Promise<ServiceStatus> {
  try {
    return await controlRequest(paths.control, { op: 'reload' });
  } catch {
    await stop(paths, name);
    return start(hostNetns, name, paths);
  }
}

/** Before namespace deletes: a service going away stops; one staying closes its sockets in the namespaces about to go. */
export async function releaseNamespaces(ex: Steps, changes: ServiceChange[], deleting: string[], hostNetns: string | null): Promise<void> {
  for (const c of changes) {
    const paths = servicePaths(hostNetns, c.name);
    if (c.action === 'delete') {
      try {
        await stop(paths, c.name);
        // Its runtime files, its log and what it served; the host's directory too once empty.
        await rm(paths.dir, { recursive: true, force: true });
        await rmdir(dirname(paths.dir)).catch(() => undefined);
        ex.done(c);
      } catch (e) {
        ex.fail(c, (e as Error).message);
      }
    } else if (c.action === 'update' && deleting.length) {
      // Not answering: stopping it is what closes its sockets; the reload after the files starts it again.
      await controlRequest(paths.control, { op: 'release', netns: deleting }).catch(() => stop(paths, c.name));
    }
  }
}

/** After the files they serve are written: start or reload every wanted service and check it serves what was written. */
export async function applyServices(ex: Steps, changes: ServiceChange[], hostNetns: string | null): Promise<void> {
  for (const c of changes) {
    if (c.action === 'delete') continue; // stopped before the namespaces went
    const paths = servicePaths(hostNetns, c.name);
    try {
      const status = await ensure(hostNetns, c.name, paths);
      if (status.digest !== c.desired?.digest) ex.fail(c, `the ${c.name} service serves ${status.digest || 'nothing'}, not ${c.desired?.digest}`);
      else if (status.problems.length) ex.fail(c, `the ${c.name} service: ${status.problems.join('; ')}`);
      else ex.done(c);
    } catch (e) {
      ex.fail(c, (e as Error).message);
    }
  }
}
