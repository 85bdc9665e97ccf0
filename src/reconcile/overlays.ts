// compile's overlay step: for every overlay network this host runs an endpoint of (as Docker, a host
// joins an overlay when it has something on it), its bridge and tunnel, forwarding entries for the
// endpoints other hosts run, and IPsec towards those hosts when encrypted. Pure: the key files
// were read before compile (spec/keyfile.ts).
import type { NamespaceState } from '../model/state.js';
import type { KeyFile } from '../spec/keyfile.js';
import { specPath } from '../spec/path.js';
import type { Spec } from '../spec/types.js';
import { addEncryption } from './drivers/encryption.js';
import { type OverlayNetwork, addOverlay, overlayVnis, resolveOverlay } from './drivers/overlay.js';
import type { CompileError } from './compile.js';
import type { LocalHost } from './hosts.js';
import type { OverlayMembership } from './overlay-members.js';

/** When the kernel does not say (a link without an MTU): Ethernet's. */
const DEFAULT_UNDERLAY_MTU = 1500;

export function compileOverlays(
  spec: Spec,
  host: NamespaceState,
  local: LocalHost,
  membership: OverlayMembership,
  keys: Record<string, KeyFile>,
  errors: CompileError[],
): Map<string, OverlayNetwork> {
  const out = new Map<string, OverlayNetwork>();
  const vnis = overlayVnis(spec);
  for (const name of Object.keys(vnis).sort()) {
    const members = membership.members[name] ?? [];
    if (!members.some((m) => m.host === local.name)) continue;
    const remote = members.filter((m) => m.host !== local.name).map((member) => ({ member, address: spec.hosts[member.host].address }));
    const n = resolveOverlay(spec, name, vnis[name], local.underlay.mtu ?? DEFAULT_UNDERLAY_MTU);
    if (n.encrypted) {
      const ring = keys[name];
      if (!ring || 'problem' in ring) {
        errors.push({ path: specPath(['networks', name, 'keyFile']), message: ring ? ring.problem : 'the key file was not read' });
        continue;
      }
      addEncryption(host, n, local.address, [...new Set(remote.map((r) => r.address))].sort(), ring);
    }
    addOverlay(host, n, local, remote);
    out.set(name, n);
  }
  return out;
}
