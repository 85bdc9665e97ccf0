// Values that apply when the YAML leaves them out; compile must use the same ones.
import type { Spec } from './types.js';

export const DEFAULT_BRIDGE_SUBNET = '172.17.0.0/16';
/** Not docker0, so wirestate and Docker can run side by side. */
export const DEFAULT_BRIDGE_NAME = 'wirestate0';
/** IFNAMSIZ - 1: the kernel rejects longer interface names. */
export const MAX_IFNAME = 15;
/** The network (and bridge) that gives overlay endpoints their way out, as Docker's docker_gwbridge. */
export const GWBRIDGE = 'ws_gwbridge';

export interface DefaultBridge {
  enabled: boolean;
  name: string;
  subnet: string;
  gateway?: string;
}

export function defaultBridge(spec: Spec): DefaultBridge {
  const set = spec.settings.defaultBridge ?? {};
  return {
    enabled: set.enabled !== false,
    name: set.name ?? DEFAULT_BRIDGE_NAME,
    subnet: set.subnet ?? DEFAULT_BRIDGE_SUBNET,
    gateway: set.gateway,
  };
}
