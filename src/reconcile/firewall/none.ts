// settings.iptables: false — wirestate writes no firewall rules and changes no firewall setting.
import type { FirewallBackend } from './backend.js';

export const noFirewall: FirewallBackend = {
  compile: () => undefined,
  sysctls: () => ({}),
};
