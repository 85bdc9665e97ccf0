// Who is on each overlay network, on every host: name, host, address and MAC of each endpoint,
// worked out from the spec alone (allocateShared), so every host agrees without talking. compile
// programs the remote ones as forwarding entries; the embedded DNS answers for them by name.
import { defaultGateway, allocateShared, type SharedRequest } from './ipam.js';
import { attachmentKey, macFromIpv4 } from './names.js';
import type { Spec } from '../spec/types.js';

export interface OverlayMember {
  endpoint: string;
  host: string;
  ipv4: string;
  mac: string;
}

export interface OverlayMembership {
  /** Overlay network → its endpoints across all hosts, by endpoint name. */
  members: Record<string, OverlayMember[]>;
  /** Attachments left without an address: their host's share of the range is full. */
  full: { endpoint: string; network: string; share: string }[];
}

export function overlayMembership(spec: Spec): OverlayMembership {
  const out: OverlayMembership = { members: {}, full: [] };
  const hosts = Object.keys(spec.hosts);
  for (const [network, net] of Object.entries(spec.networks)) {
    if (net.driver !== 'overlay' || !net.subnet) continue;
    const on = Object.keys(spec.endpoints)
      .filter((e) => network in spec.endpoints[e].networks && spec.endpoints[e].host !== undefined)
      .sort();
    const requests: SharedRequest[] = on.map((e) => ({ key: attachmentKey(e, network), host: spec.endpoints[e].host as string, static: spec.endpoints[e].networks[network].ipv4 }));
    const { addresses, full } = allocateShared(net.subnet, net.gateway ?? defaultGateway(net.subnet), net.ipRange, hosts, requests);
    out.members[network] = on
      .filter((e) => addresses[attachmentKey(e, network)])
      .map((e) => {
        const ipv4 = addresses[attachmentKey(e, network)];
        return { endpoint: e, host: spec.endpoints[e].host as string, ipv4, mac: spec.endpoints[e].networks[network].mac ?? macFromIpv4(ipv4) };
      });
    const endpointOf = new Map(on.map((e) => [attachmentKey(e, network), e]));
    for (const f of full) out.full.push({ endpoint: endpointOf.get(f.key) as string, network, share: f.share });
  }
  return out;
}

/** For the embedded DNS: each overlay network's endpoints on every host (overlayMembership's members). */
export const overlayMembers = (spec: Spec): Record<string, OverlayMember[]> => overlayMembership(spec).members;
