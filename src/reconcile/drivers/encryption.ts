// Encrypted overlays: the network's VXLAN traffic between this host and each other host goes in
// ESP (transport mode). Per peer: an outbound policy for the network's tunnel packets, which the
// firewall marks by VNI (an xfrm selector cannot see the VNI); one outbound SA with the key file's
// first key; and one inbound SA per key of the file, so a peer still sending with an older or newer
// key is understood while a rotation is rolled out. The firewall also drops the network's tunnel
// packets that did not arrive in ESP.
import type { NamespaceState, XfrmPolicy, XfrmState } from '../../model/state.js';
import { xfrmPolicyKey, xfrmStateKey } from '../../model/state.js';
import type { KeyRing } from '../../spec/keyfile.js';
import { ESP_ALGORITHM, ESP_ICV_BITS, keyDigest, saKey, saSpi } from '../../net/esp.js';
import { xfrmTagOf } from '../names.js';
import type { OverlayNetwork } from './overlay.js';

/** One SA: its identity is the network and the direction, the same string on both hosts. */
function sa(n: OverlayNetwork, src: string, dst: string, ring: KeyRing, key: KeyRing['keys'][number]): XfrmState {
  const info = `${n.name} ${src}>${dst}`;
  const digest = keyDigest(saKey(key.hex, info));
  return {
    src,
    dst,
    spi: saSpi(info, digest),
    reqid: xfrmTagOf(n.vni),
    algorithm: ESP_ALGORITHM,
    icvBits: ESP_ICV_BITS,
    keyDigest: digest,
    keySource: { file: ring.file, line: key.line, info },
  };
}

/** The states and policies between this host (`local`) and each address in `peers`. */
export function addEncryption(host: NamespaceState, n: OverlayNetwork, local: string, peers: string[], ring: KeyRing): void {
  const states = (host.xfrmStates ??= {});
  const policies = (host.xfrmPolicies ??= {});
  for (const peer of peers) {
    const out = sa(n, local, peer, ring, ring.keys[0]);
    states[xfrmStateKey(out)] = out;
    for (const key of ring.keys) {
      const inbound = sa(n, peer, local, ring, key);
      states[xfrmStateKey(inbound)] = inbound;
    }
    const policy: XfrmPolicy = { src: local, dst: peer, dport: n.port, mark: xfrmTagOf(n.vni), reqid: xfrmTagOf(n.vni) };
    policies[xfrmPolicyKey(policy)] = policy;
  }
}
