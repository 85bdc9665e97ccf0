// Resolves declared networks (and the default bridge) into the concrete settings the drivers use:
// fields win over their com.docker.network.* option equivalents, defaults are Docker's.
import { DEFAULT_BRIDGE_NAME, DEFAULT_BRIDGE_SUBNET, parseBoolOption, parseMtuOption } from '../spec/index.js';
import type { NetworkSpec, Spec } from '../spec/types.js';
import { bridgeName } from './names.js';

export interface ResolvedNetwork {
  name: string;
  bridge: string;
  /** Declared subnet, or undefined until IPAM picks one. */
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal: boolean;
  icc: boolean;
  masquerade: boolean;
  mtu: number;
  /** The default bridge: no DNS, legacy links, no static addresses. */
  isDefault: boolean;
}

export const DEFAULT_BRIDGE = 'bridge';
export const DEFAULT_MTU = 1500;

const option = <T>(v: string | number | boolean | undefined, parse: (v: string | number | boolean) => T | undefined): T | undefined =>
  v === undefined ? undefined : parse(v);

function resolveUserNetwork(name: string, n: NetworkSpec): ResolvedNetwork {
  const opt = n.options ?? {};
  return {
    name,
    bridge: n.bridge ?? (opt['com.docker.network.bridge.name'] as string | undefined) ?? bridgeName(name),
    subnet: n.subnet,
    gateway: n.gateway,
    ipRange: n.ipRange,
    internal: n.internal ?? false,
    icc: n.icc ?? option(opt['com.docker.network.bridge.enable_icc'], parseBoolOption) ?? true,
    masquerade: n.masquerade ?? option(opt['com.docker.network.bridge.enable_ip_masquerade'], parseBoolOption) ?? true,
    mtu: n.mtu ?? option(opt['com.docker.network.driver.mtu'], parseMtuOption) ?? DEFAULT_MTU,
    isDefault: false,
  };
}

/** Every network some endpoint may use, sorted by name; `host` and `none` have no kernel objects and are not here. */
export function resolveNetworks(spec: Spec): ResolvedNetwork[] {
  const out = Object.entries(spec.networks).map(([name, n]) => resolveUserNetwork(name, n));
  const db = spec.settings.defaultBridge ?? {};
  if (db.enabled !== false) {
    out.push({
      name: DEFAULT_BRIDGE,
      bridge: db.name ?? DEFAULT_BRIDGE_NAME,
      subnet: db.subnet ?? DEFAULT_BRIDGE_SUBNET,
      gateway: db.gateway,
      internal: false,
      icc: db.icc ?? true,
      masquerade: true,
      mtu: db.mtu ?? DEFAULT_MTU,
      isDefault: true,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
