// Several simulated hosts on one machine: host namespaces joined by a veth "underlay" to a bridge
// in a namespace of its own, as machines on one LAN. Everything is made in namespaces the caller
// made with makeHostNs, so their cleanup() removes it.
import { batch, type HostNs } from './netns.js';

export interface UnderlayHost {
  host: HostNs;
  /** The host's underlay address (on its eth0). */
  address: string;
}

/**
 * Gives each host `eth0` with 192.0.2.(11+i)/24, its other end `u<i>` on bridge `br0` in
 * `underlay`. Returns the hosts with their addresses, in the order given.
 */
export async function joinUnderlay(underlay: HostNs, hosts: HostNs[]): Promise<UnderlayHost[]> {
  await batch(underlay.name, ['link add br0 type bridge', 'link set br0 addrgenmode none', 'link set br0 up']);
  const out: UnderlayHost[] = [];
  for (const [i, host] of hosts.entries()) {
    const address = `192.0.2.${11 + i}`;
    await batch(underlay.name, [`link add u${i} type veth peer name eth0 netns ${host.name}`, `link set u${i} addrgenmode none`, `link set u${i} master br0 up`]);
    await batch(host.name, ['link set eth0 addrgenmode none', `addr add ${address}/24 dev eth0`, 'link set eth0 up']);
    out.push({ host, address });
  }
  return out;
}
