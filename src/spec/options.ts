// The com.docker.network.* network options wirestate understands, and how their values read:
// Docker's meaning, including strconv.ParseBool's spellings of true and false.
import type { NetworkSpec } from './types.js';

/** Each known option and the NetworkSpec field it is the Docker spelling of. */
export const DOCKER_OPTIONS = {
  'com.docker.network.bridge.name': 'bridge',
  'com.docker.network.bridge.enable_icc': 'icc',
  'com.docker.network.bridge.enable_ip_masquerade': 'masquerade',
  'com.docker.network.bridge.host_binding_ipv4': 'hostBindingIPv4',
  'com.docker.network.driver.mtu': 'mtu',
} as const satisfies Record<string, keyof NetworkSpec>;

export type DockerOption = keyof typeof DOCKER_OPTIONS;

export const DOCKER_OPTION_PREFIX = 'com.docker.network.';

type OptionValue = string | number | boolean;

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** undefined when the value is not a boolean as Docker reads one. */
export function parseBoolOption(v: OptionValue): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = String(v);
  return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined;
}

/** undefined unless an integer MTU from 68 to 65535. */
export function parseMtuOption(v: OptionValue): number | undefined {
  const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 68 && n <= 65535 ? n : undefined;
}
