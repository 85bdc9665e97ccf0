// A firewall backend turns the host's networks into the owned part of its firewall.
// "No firewall" (settings.iptables: false) is a backend of its own, not an `if` scattered about.
import type { Firewall } from '../../model/state.js';

/** A bridge network with everything IPAM decided. */
export interface FirewallNetwork {
  name: string;
  bridge: string;
  subnet: string;
  internal: boolean;
  icc: boolean;
  masquerade: boolean;
}

export interface FirewallBackend {
  /** undefined: the firewall is not managed at all, neither read nor written. */
  compile(networks: FirewallNetwork[]): Firewall | undefined;
  /** Kernel settings the backend needs in the host namespace. */
  sysctls(networks: FirewallNetwork[]): Record<string, string>;
}
