// Host identity in setups that span hosts: which entry of `hosts:` this machine is (--host), which
// endpoints it runs, and whether its underlay address really is one of its own. Pure.
import type { HostFacts } from '../model/state.js';
import type { CompileError } from './compile.js';
import { specPath } from '../spec/path.js';
import type { Spec } from '../spec/types.js';

/** An endpoint runs here when it names this host, or names none and no --host was given. */
export const runsHere = (ep: { host?: string }, hostName: string | undefined): boolean => (ep.host ?? undefined) === hostName;

export interface LocalHost {
  name: string;
  /** The underlay address from `hosts:`. */
  address: string;
  /** The link holding that address here, and its MTU. */
  underlay: { dev: string; mtu?: number };
}

/**
 * This machine's entry of `hosts:`, when overlays need one; undefined (with the reasons in
 * `errors`) when --host names no declared host, is missing, or names an address this host lacks.
 */
export function localHost(spec: Spec, hostName: string | undefined, facts: HostFacts, errors: CompileError[]): LocalHost | undefined {
  const declared = Object.keys(spec.hosts).sort();
  if (hostName !== undefined && declared.length > 0 && !declared.includes(hostName)) {
    errors.push({ path: '--host', message: `"${hostName}" is not declared under hosts: (${declared.join(', ')})` });
    return undefined;
  }
  const overlays = Object.keys(spec.networks)
    .filter((n) => spec.networks[n].driver === 'overlay')
    .sort();
  if (overlays.length === 0) return undefined;
  if (hostName === undefined) {
    errors.push({ path: '--host', message: `overlay network${overlays.length > 1 ? 's' : ''} ${overlays.join(', ')} span${overlays.length > 1 ? '' : 's'} hosts: say which entry of hosts: this machine is (${declared.join(', ')})` });
    return undefined;
  }
  const address = spec.hosts[hostName].address;
  const underlay = facts.addresses?.[address];
  if (!underlay) {
    errors.push({ path: specPath(['hosts', hostName, 'address']), message: `${address} is not an address of this host, so overlay tunnels cannot start there (--host ${hostName})` });
    return undefined;
  }
  return { name: hostName, address, underlay };
}
