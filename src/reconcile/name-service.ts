// What endpoints see of names: each endpoint's resolv.conf, hosts and environment files, and the
// records the embedded DNS resolver serves. Pure; compile calls addNameService once.
import { type DnsRecords, recordsDigest, renderRecords } from '../dns/records.js';
import type { HostState } from '../model/state.js';
import { HOST_NS } from '../model/state.js';
import type { Spec } from '../spec/types.js';
import { servicePaths } from '../store/run-dir.js';
import { addEndpointRecords, addNames, hasDns } from './dns-records.js';
import type { BridgeNetwork } from './drivers/bridge.js';
import { type Attached, endpointFiles } from './files/endpoint-files.js';
import { hasEtcDir } from './files/paths.js';
import { parseResolvConf } from './files/resolv-conf.js';
import { attachmentKey, endpointNetnsName } from './names.js';
import type { OverlayMember } from './overlay-members.js';

/** The service that answers at 127.0.0.11: `wirestate dns`. */
export const DNS_SERVICE = 'dns';

export interface NameServiceInput {
  spec: Spec;
  /** The endpoints this host runs. */
  endpoints: string[];
  bridges: Map<string, BridgeNetwork>;
  /** "endpoint/network" → IPv4 address. */
  addresses: Record<string, string>;
  hostNetns: string | null;
  /** The host's resolv.conf (HostFacts.resolvConf). */
  resolvConf?: string;
  /** Overlay network → its endpoints on other hosts, answered by name like local ones. */
  remote?: Record<string, OverlayMember[]>;
}

function attachments(input: NameServiceInput, e: string): Attached[] {
  return Object.keys(input.spec.endpoints[e].networks)
    .sort()
    .flatMap((network) => {
      const bridge = input.bridges.get(network);
      const address = input.addresses[attachmentKey(e, network)];
      return bridge && address ? [{ network, address, bridge }] : [];
    });
}

/**
 * Puts every endpoint's files into its namespace and, when some endpoint has the embedded resolver,
 * the records file and the `dns` service into the host's. Returns warnings.
 */
export function addNameService(desired: HostState, input: NameServiceInput): string[] {
  const warnings: string[] = [];
  const host = parseResolvConf(input.resolvConf ?? '');
  const records: DnsRecords = { networks: {}, endpoints: {} };
  for (const e of input.endpoints) {
    const netns = input.spec.endpoints[e].netns ?? endpointNetnsName(input.hostNetns, e);
    const ns = desired.namespaces[netns];
    if (!ns) continue; // on the host network: it sees the host's own files
    const attached = attachments(input, e);
    const named = attached.filter((a) => hasDns(input.spec, a.network));
    addEndpointRecords(records, input.spec, e, netns, attached, named, host);
    if (!hasEtcDir(netns)) {
      warnings.push(`endpoints.${e}: its namespace is a path, so it gets no resolv.conf, hosts or environment file (only namespaces named under /run/netns have /etc/netns/<name>/)`);
      continue;
    }
    ns.files = endpointFiles({ spec: input.spec, endpoint: e, netns, attached, addresses: input.addresses, resolver: named.length > 0, host }, warnings);
  }
  // Only networks a local endpoint asks on: the others' names would never be looked up here.
  for (const [network, members] of Object.entries(input.remote ?? {})) {
    if (!records.networks[network]) continue;
    for (const m of members) addNames(records, input.spec, m.endpoint, network, m.ipv4);
  }
  if (Object.keys(records.endpoints).length) {
    const content = renderRecords(records);
    const hostNs = desired.namespaces[HOST_NS];
    hostNs.files = { ...hostNs.files, [servicePaths(input.hostNetns, DNS_SERVICE).records]: content };
    hostNs.services = { ...hostNs.services, [DNS_SERVICE]: { digest: recordsDigest(content), problems: [] } };
  }
  return warnings;
}
