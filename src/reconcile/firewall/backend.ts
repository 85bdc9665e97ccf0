// A firewall backend turns the host's networks and published ports into the owned part of its
// firewall. "No firewall" (settings.iptables: false) is a backend of its own, not an `if` scattered about.
import type { Firewall } from '../../model/state.js';
import type { PublishedPort } from '../ports.js';

/** A bridge network with everything IPAM decided. */
export interface FirewallNetwork {
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  icc: boolean;
  masquerade: boolean;
}

export interface FirewallInput {
  networks: FirewallNetwork[];
  ports: PublishedPort[];
  /** Overlay bridges: with br_netfilter on, what they carry between endpoints passes through FORWARD. */
  overlays?: { bridge: string }[];
  /** Encrypted overlays: their tunnel packets are marked for IPsec, and dropped when they arrive unencrypted. */
  encrypted?: { vni: number; port: number }[];
}

export interface FirewallBackend {
  /** undefined: the firewall is not managed at all, neither read nor written. */
  compile(input: FirewallInput): Firewall | undefined;
  /** Kernel settings the backend needs in the host namespace. */
  sysctls(input: FirewallInput): Record<string, string>;
}
