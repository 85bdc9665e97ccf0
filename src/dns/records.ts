// The records file: what the DNS service serves, written by reconcile as a managed file and read
// by the service on every reload. Pure: the format, its digest and its reader.
import { createHash } from 'node:crypto';
import { MANAGED_HEADER, managedFile } from '../reconcile/files/header.js';

export interface Upstream {
  address: string;
  /** Dialled from the host's namespace (the host's resolvers) or the endpoint's (its `dns`), as Docker does. */
  from: 'host' | 'endpoint';
}

/** What one endpoint's resolver sees. */
export interface ResolverView {
  /** Where it listens: a name under /run/netns or a path. */
  netns: string;
  /** The networks whose names it answers: the ones it is attached to with DNS on, sorted. */
  networks: string[];
  /** Tried in order for every other name. */
  upstreams: Upstream[];
  /** The user set ndots above 0: an unknown single-label name gets an empty answer instead of a forward. */
  ndots: boolean;
}

export interface NetworkRecords {
  /** Lower-case name (endpoint name, hostname, alias) → its IPv4 addresses. */
  names: Record<string, string[]>;
  /** Address → the endpoint name its PTR record gives (as `name.network`). */
  ptr: Record<string, string>;
}

export interface DnsRecords {
  networks: Record<string, NetworkRecords>;
  /** By endpoint name. */
  endpoints: Record<string, ResolverView>;
}

/** `"key": value` lines of one object, commas between, each line indented by `pad`. */
function entries<T>(o: Record<string, T>, pad: string): string[] {
  const keys = Object.keys(o);
  return keys.map((k, i) => `${pad}${JSON.stringify(k)}: ${JSON.stringify(o[k])}${i < keys.length - 1 ? ',' : ''}`);
}

/**
 * The managed file: the header, then JSON with one line per name, address and endpoint, so that
 * a change reads well as a line diff and a thousand endpoints make 3000 lines, not 17 000.
 */
export function renderRecords(r: DnsRecords): string {
  const nets = Object.keys(r.networks);
  const lines = ['{"networks": {'];
  nets.forEach((name, i) => {
    const n = r.networks[name]!;
    lines.push(` ${JSON.stringify(name)}: {"names": {`, ...entries(n.names, '  '), ' }, "ptr": {', ...entries(n.ptr, '  '), ` }}${i < nets.length - 1 ? ',' : ''}`);
  });
  lines.push('}, "endpoints": {', ...entries(r.endpoints, ' '), '}}');
  return managedFile(lines);
}

export const recordsDigest = (content: string): string => `sha256:${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;

export function parseRecords(content: string): DnsRecords {
  const body = content.startsWith(MANAGED_HEADER) ? content.slice(content.indexOf('\n') + 1) : content;
  const r = JSON.parse(body) as Partial<DnsRecords>;
  if (typeof r !== 'object' || r === null || typeof r.networks !== 'object' || typeof r.endpoints !== 'object') {
    throw new Error('not a records file: expected {"networks": …, "endpoints": …}');
  }
  return r as DnsRecords;
}
