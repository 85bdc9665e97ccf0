// Which conntrack entries to drop once the published ports have changed. NAT is decided on a
// flow's first packet, so a UDP flow that began before a port was published, moved or removed
// goes on where it went until it has been quiet for 30 s or more — a client that keeps sending
// (DNS, syslog, games) never reaches the new mapping, or keeps reaching a removed one. Docker
// drops the same entries for the same reason (bridge_linux.go clearConntrackEntries, moby#8795).
// TCP needs nothing: a new connection is a new flow. Pure.
import { DNAT_CHAIN_PREFIX } from '../reconcile/firewall/iptables.js';
import type { FirewallChange } from './render-iptables.js';

const UDP_DNAT = /-p udp -m udp --dport (\d+) .*-j DNAT /;

/** `conntrack -R -` input: one delete per UDP host port whose DNAT rules this plan adds, changes or removes. */
export function conntrackFlushes(changes: readonly FirewallChange[]): string[] {
  const ports = new Set<number>();
  for (const c of changes) {
    if (c.kind !== 'chain' || c.table !== 'nat' || !c.chain.startsWith(DNAT_CHAIN_PREFIX)) continue;
    const before = new Set(c.previous ?? []);
    const after = new Set(c.action === 'delete' ? [] : (c.rules ?? []));
    const moved = [...[...before].filter((r) => !after.has(r)), ...[...after].filter((r) => !before.has(r))];
    for (const rule of moved) {
      const port = UDP_DNAT.exec(rule)?.[1];
      if (port) ports.add(Number(port));
    }
  }
  return [...ports].sort((a, b) => a - b).map((p) => `-D -p udp --orig-port-dst ${p}`);
}
