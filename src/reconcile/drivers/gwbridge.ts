// The gateway bridge (Docker's docker_gwbridge): how endpoints whose way out is an overlay reach
// beyond their host. An overlay is layer 2 between hosts and routes nowhere, so such an endpoint
// also gets an interface on this per-host bridge network (icc off, masqueraded), its default route
// and its published ports go through it. Made when an endpoint needs it, gone when none does.
import { GWBRIDGE } from '../../spec/defaults.js';
import { DEFAULT_MTU, type ResolvedNetwork } from '../networks.js';

export const gwbridgeNetwork = (): ResolvedNetwork => ({
  name: GWBRIDGE,
  bridge: GWBRIDGE,
  internal: false,
  icc: false,
  masquerade: true,
  mtu: DEFAULT_MTU,
  isDefault: false,
});
