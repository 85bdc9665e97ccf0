// Reads what endpoints see of names: the files wirestate manages (each endpoint's resolv.conf,
// hosts and environment under /etc/netns/<name>/, and any other file there that carries the
// header; the host's listed files, the DNS records), the services it runs (their status files),
// and the host's resolv.conf that compile starts from. Never writes; never rejects (a file that
// cannot be read is absent).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isProcess } from '../kernel/service.js';
import type { NamespaceState, Service } from '../model/state.js';
import { HOST_NS } from '../model/state.js';
import { isManaged } from '../reconcile/files/header.js';
import { ENDPOINT_FILES, ETC_NETNS, etcDir, hasEtcDir } from '../reconcile/files/paths.js';
import { servicePaths } from '../store/run-dir.js';
import type { ServiceStatus } from '../dns/control.js';

export interface NamingRequest {
  hostNetns: string | null;
  /** Endpoint namespaces (names or paths: a path has no /etc/netns directory). */
  endpoints: string[];
  /** Managed files of the host namespace to read. */
  hostFiles: string[];
  /** Services to look for. */
  services: string[];
}

export interface Naming {
  /** Namespace key → path → content. */
  files: Map<string, Record<string, string>>;
  services: Record<string, Service>;
  resolvConf?: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The three files an endpoint always has are read whoever wrote them (a hand edit that dropped the header is still drift); others only with the header. */
function endpointFiles(netns: string): Record<string, string> {
  if (!hasEtcDir(netns)) return {};
  const dir = etcDir(netns);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return {};
  }
  const files: Record<string, string> = {};
  for (const name of names) {
    const content = readText(join(dir, name));
    if (content !== undefined && ((ENDPOINT_FILES as readonly string[]).includes(name) || isManaged(content))) files[join(dir, name)] = content;
  }
  return files;
}

/** The directories under /etc/netns: one per namespace that has (or had) files of its own. */
export function etcNetnsNames(): string[] {
  try {
    return readdirSync(ETC_NETNS);
  } catch {
    return [];
  }
}

/** Running (its pid alive and still that service) and what it serves; absent otherwise. */
function service(hostNetns: string | null, name: string): Service | undefined {
  const text = readText(servicePaths(hostNetns, name).status);
  if (text === undefined) return undefined;
  try {
    const s = JSON.parse(text) as ServiceStatus;
    if (!isProcess(s.pid, [name])) return undefined;
    return { digest: s.digest, problems: s.problems };
  } catch {
    return undefined;
  }
}

/** What a process in the host namespace sees as /etc/resolv.conf: `ip netns exec` binds /etc/netns/<host>/resolv.conf over it. */
function hostResolvConf(hostNetns: string | null): string | undefined {
  const own = hostNetns && hasEtcDir(hostNetns) ? readText(join(etcDir(hostNetns), 'resolv.conf')) : undefined;
  return own ?? readText('/etc/resolv.conf');
}

/**
 * Synchronous reads of small files (measured: ~15 µs each, against ~100 µs through fs/promises,
 * which made 3000 of them a third of a second), after one turn of the event loop so that the
 * caller's spawns are already under way.
 */
export async function observeNaming(req: NamingRequest): Promise<Naming> {
  await new Promise((resolve) => setImmediate(resolve));
  const files = new Map<string, Record<string, string>>(req.endpoints.map((n) => [n, endpointFiles(n)]));
  const host: Record<string, string> = {};
  for (const path of req.hostFiles) {
    const content = readText(path);
    if (content !== undefined) host[path] = content;
  }
  files.set(HOST_NS, host);
  const services: Record<string, Service> = {};
  for (const name of req.services) {
    const s = service(req.hostNetns, name);
    if (s) services[name] = s;
  }
  const resolvConf = hostResolvConf(req.hostNetns);
  return { files, services, ...(resolvConf !== undefined ? { resolvConf } : {}) };
}

/** Puts files and services into the namespaces that exist (a deleted namespace's leftover files have no namespace to show in). */
export function addNaming(namespaces: Record<string, NamespaceState>, naming: Naming): void {
  for (const [key, ns] of Object.entries(namespaces)) {
    const files = naming.files.get(key);
    if (files && Object.keys(files).length) ns.files = files;
  }
  if (Object.keys(naming.services).length) namespaces[HOST_NS]!.services = naming.services;
}
