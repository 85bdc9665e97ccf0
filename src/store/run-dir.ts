// Where the services wirestate runs keep what lives only as long as they do — pid, status,
// control socket, log — and what they serve (the DNS records). Under /run, not the state
// directory: none of it outlives a reboot, and losing the state file must not orphan a service.
import { join } from 'node:path';
import { hostStateDir } from './state-file.js';

export const RUN_DIR = '/run/wirestate';

/** One directory per host namespace and service, like the state directory's layout. */
export const serviceDir = (hostNetns: string | null, service: string): string => join(hostStateDir(RUN_DIR, hostNetns), service);

export interface ServicePaths {
  dir: string;
  /** The status the service writes after every change: pid, digest, problems. */
  status: string;
  /** Its pid, written at start, removed on a clean exit; also its single-instance lock. */
  pid: string;
  /** Unix socket: one JSON request line in, one JSON reply line out. */
  control: string;
  /** Its stdout and stderr when started in the background. */
  log: string;
  /** The DNS records (a managed file). */
  records: string;
}

export function servicePaths(hostNetns: string | null, service: string): ServicePaths {
  const dir = serviceDir(hostNetns, service);
  return { dir, status: join(dir, 'status.json'), pid: join(dir, 'pid'), control: join(dir, 'control.sock'), log: join(dir, 'log'), records: join(dir, 'records') };
}
