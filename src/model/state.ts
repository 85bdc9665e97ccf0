// The one model shared by Desired and Observed: the kernel objects wirestate owns on one host.
// Plain JSON, so the diff is generic and drift reports are JSON Patch between two of these.

/** Key of the host's own network stack in `HostState.namespaces`. */
export const HOST_NS = '@host';

export interface HostState {
  /** `HOST_NS` for the host, otherwise the endpoint namespace's name (or path). */
  namespaces: Record<string, NamespaceState>;
}

export interface NamespaceState {
  /** What to pass to `ip -n` / `nsenter --net=`: a name under /run/netns, a path, or null for the current namespace. */
  netns: string | null;
  /** The endpoint this namespace serves; absent for the host. */
  endpoint?: string;
  /** True when wirestate created the namespace: it then deletes it on `down`. */
  owned: boolean;
  links: Record<string, Link>;
  /** Keyed by `addressKey()`. */
  addresses: Record<string, Address>;
  /** Keyed by `routeKey()`. */
  routes: Record<string, Route>;
  /** Ensured, never reverted: `net.ipv4.ip_forward` → "1". */
  sysctls: Record<string, string>;
  /** Absent when the firewall is not managed (`settings.iptables: false`, endpoint namespaces). */
  firewall?: Firewall;
}

export type LinkKind = 'bridge' | 'veth' | 'loopback';

export interface Link {
  name: string;
  kind: LinkKind;
  /** Ownership mark (ifalias): "wirestate …". Loopback of a foreign namespace carries none. */
  alias?: string;
  mtu?: number;
  /** Only when wirestate chooses it (endpoint interfaces). */
  mac?: string;
  master?: string;
  up: boolean;
  /** False: `addrgenmode none`, so the link never gets an IPv6 address (no DAD/MLD storms). */
  ipv6?: boolean;
  /** Bridge port only: let frames go back out the port they came in on (an endpoint reaching its own published port). */
  hairpin?: boolean;
  /** veth only, on the end wirestate creates the pair from: where the other end lives. */
  peer?: { netns: string; name: string };
}

export interface Address {
  dev: string;
  /** "10.0.0.2/24" */
  cidr: string;
}

export interface Route {
  /** "default" or a CIDR */
  dst: string;
  dev: string;
  via?: string;
}

export type TableName = 'filter' | 'nat' | 'raw';

export interface Firewall {
  tables: Partial<Record<TableName, Table>>;
}

export interface Table {
  /**
   * Owned chains and their rules, each in iptables-save's canonical form without "-A CHAIN ".
   * null: the chain must exist but its rules are the user's (WIRESTATE-USER): never read, never flushed.
   */
  chains: Record<string, string[] | null>;
  /** Built-in chain → wirestate's jump rules in it, in order; they are inserted at the top. */
  jumps: Record<string, string[]>;
}

export const addressKey = (a: Address): string => `${a.cidr} dev ${a.dev}`;
export const routeKey = (r: Route): string => `${r.dst} dev ${r.dev}`;

export function emptyNamespace(netns: string | null, owned: boolean, endpoint?: string): NamespaceState {
  return { netns, ...(endpoint ? { endpoint } : {}), owned, links: {}, addresses: {}, routes: {}, sysctls: {} };
}

/** Facts about the host that compile needs but that wirestate does not own (never diffed). */
export interface HostFacts {
  /** Links in the host namespace not marked as wirestate's. */
  foreignLinks: string[];
  /** Prefixes routed on the host by others: subnets are not allocated over them. */
  foreignRoutes: string[];
  /** Namespaces present under /run/netns. */
  netnsNames: string[];
  /** Sockets listening in the host namespace: a published port must not take one of their ports. */
  listeners?: Listener[];
}

export interface Listener {
  protocol: 'tcp' | 'udp' | 'sctp';
  address: string;
  port: number;
  /** "nc (pid 1234)", when ss could tell. */
  process?: string;
}

export interface Observed {
  state: HostState;
  facts: HostFacts;
}
