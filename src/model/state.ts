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
  /** Ensured, never reverted: `net.ipv4.ip_forward` → "1". Keys as sysctl(8) writes them: see `ipv4ConfKey()`. */
  sysctls: Record<string, string>;
  /** Absent when the firewall is not managed (`settings.iptables: false`, endpoint namespaces). */
  firewall?: Firewall;
  /** Permanent neighbour entries on owned VXLAN links (overlay peers), keyed by `neighbourKey()`. Absent: none. */
  neighbours?: Record<string, Neighbour>;
  /** Static forwarding entries on owned VXLAN links (which host has a remote MAC), keyed by `fdbKey()`. Absent: none. */
  fdb?: Record<string, FdbEntry>;
  /** IPsec of encrypted overlays, keyed by `xfrmStateKey()` / `xfrmPolicyKey()`. Absent: none. */
  xfrmStates?: Record<string, XfrmState>;
  xfrmPolicies?: Record<string, XfrmPolicy>;
  /** Managed files: absolute path → exact content, header line first (resolv.conf, hosts, environment, DNS records). Absent: none. */
  files?: Record<string, string>;
  /** Long-running processes wirestate keeps alive (the host only: the DNS resolver), by name. Absent: none. */
  services?: Record<string, Service>;
}

/** A service wirestate runs, seen from outside: which configuration it serves. */
export interface Service {
  /** Digest of the configuration file it must serve (the DNS records file). Observed: what it loaded. */
  digest: string;
  /** Why it does not serve all of it (a namespace it cannot listen in); desired: none. */
  problems: string[];
}

export type LinkKind = 'bridge' | 'veth' | 'loopback' | 'vxlan' | 'macvlan' | 'vlan';

export type MacvlanMode = 'bridge' | 'private' | 'vepa' | 'passthru';

/** A VXLAN tunnel's own settings: fixed at creation, so a change replaces the link. */
export interface VxlanInfo {
  vni: number;
  /** UDP destination port. */
  port: number;
  /** This host's underlay address: where the tunnel starts. */
  local: string;
  /** The underlay link the tunnel is bound to. */
  dev?: string;
  /** False: remote MACs come only from static entries, never from traffic. */
  learning: boolean;
  /** Answer ARP from the neighbour table instead of sending it across the underlay. */
  proxy: boolean;
}

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
  vxlan?: VxlanInfo;
  /** macvlan only. */
  macvlan?: { mode: MacvlanMode };
  /** vlan only: the 802.1Q id. */
  vlan?: { id: number };
  /**
   * macvlan and vlan: the host link it is stacked on, fixed at creation. An endpoint's macvlan sees
   * it in another namespace: observe names it from the host's links (parse-ip endpointParent).
   */
  parent?: string;
}

/** A permanent neighbour entry: `ip` is at `mac`, without asking. */
export interface Neighbour {
  dev: string;
  ip: string;
  mac: string;
}

/** A static VXLAN forwarding entry: frames for `mac` go to the tunnel endpoint `dst`. */
export interface FdbEntry {
  dev: string;
  mac: string;
  dst: string;
}

/**
 * An ESP security association (transport mode, AEAD). Keys are secrets: the model carries only a
 * digest of the key the kernel holds, and where apply reads the key material from.
 */
export interface XfrmState {
  src: string;
  dst: string;
  spi: number;
  reqid: number;
  /** "rfc4106(gcm(aes))" */
  algorithm: string;
  icvBits: number;
  /** "sha256:" + 16 hex digits of the key as the kernel holds it. */
  keyDigest: string;
  /** Desired side only, never compared: the key file and line the key is derived from. */
  keySource?: { file: string; line: number; info: string };
}

/** An outbound policy: UDP from `src` to `dst` port `dport` carrying `mark` goes through the ESP SA `reqid`. */
export interface XfrmPolicy {
  src: string;
  dst: string;
  dport: number;
  mark: number;
  reqid: number;
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

export type TableName = 'filter' | 'nat' | 'raw' | 'mangle';

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
export const neighbourKey = (n: Neighbour): string => `${n.ip} dev ${n.dev}`;
export const fdbKey = (f: FdbEntry): string => `${f.mac} dev ${f.dev}`;
export const xfrmStateKey = (x: XfrmState): string => `esp 0x${x.spi.toString(16).padStart(8, '0')} ${x.src}>${x.dst}`;
export const xfrmPolicyKey = (p: XfrmPolicy): string => `out ${p.src}>${p.dst} udp/${p.dport} mark 0x${p.mark.toString(16)}`;

/**
 * The sysctl key of one interface's IPv4 setting. '.' separates a key's parts, so a '.' in the
 * interface's name is written '/', as sysctl(8) does: eth0.10 → `net.ipv4.conf.eth0/10.rp_filter`.
 */
export const ipv4ConfKey = (ifname: string, setting: string): string => `net.ipv4.conf.${ifname.replaceAll('.', '/')}.${setting}`;

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
  /** Every IPv4 address of the host namespace, owned or not → its link and that link's MTU (the underlay of overlays). */
  addresses?: Record<string, { dev: string; mtu?: number }>;
  /** The resolv.conf a process in the host namespace sees (/etc/netns/<host>/resolv.conf, else /etc/resolv.conf); absent when unreadable. */
  resolvConf?: string;
  /** Files wirestate wrote under /etc/netns/<name>/ for a namespace of its own that is gone (deleted by hand): name → path → content. */
  leftoverFiles?: Record<string, Record<string, string>>;
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
