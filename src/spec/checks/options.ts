// com.docker.network.* options: known ones must hold a value of their kind and agree with the
// field they spell differently; unknown ones are errors, since nothing would act on them.
import { isIpv4 } from '../../net/ipv4.js';
import { DOCKER_OPTION_PREFIX, DOCKER_OPTIONS, parseBoolOption, parseMtuOption, type DockerOption } from '../options.js';
import type { NetworkSpec } from '../types.js';
import type { Report } from './report.js';

type OptionValue = string | number | boolean;

const KNOWN = Object.keys(DOCKER_OPTIONS).map((k) => k.slice(DOCKER_OPTION_PREFIX.length));

/** The option's value as its field would hold it, or the reason it cannot be read as one. */
function read(option: DockerOption, v: OptionValue): { value: unknown } | { problem: string } {
  switch (DOCKER_OPTIONS[option]) {
    case 'icc':
    case 'masquerade': {
      const value = parseBoolOption(v);
      return value === undefined ? { problem: `${JSON.stringify(v)} must be "true" or "false"` } : { value };
    }
    case 'mtu': {
      const value = parseMtuOption(v);
      return value === undefined ? { problem: `${JSON.stringify(v)} must be an MTU from 68 to 65535` } : { value };
    }
    case 'hostBindingIPv4':
      return typeof v === 'string' && isIpv4(v) ? { value: v } : { problem: `${JSON.stringify(v)} is not an IPv4 address` };
    case 'bridge':
      // Name rules are checked with the other interface names.
      return typeof v === 'string' ? { value: v } : { problem: `${JSON.stringify(v)} must be a string` };
  }
}

function checkOption(report: Report, name: string, net: NetworkSpec, key: string, v: OptionValue): void {
  const at = ['networks', name, 'options', key];
  if (!(key in DOCKER_OPTIONS)) {
    report.add(at, `unknown option; known ${DOCKER_OPTION_PREFIX}* options are ${KNOWN.join(', ')}`);
    return;
  }
  const option = key as DockerOption;
  const parsed = read(option, v);
  if ('problem' in parsed) return report.add(at, parsed.problem);
  const field = DOCKER_OPTIONS[option];
  const set = net[field];
  if (set !== undefined && set !== parsed.value) {
    report.add(at, `${JSON.stringify(v)} contradicts ${field}: ${JSON.stringify(set)}`);
  }
}

export function checkOptions(report: Report): void {
  for (const [name, net] of Object.entries(report.spec.networks)) {
    for (const [key, v] of Object.entries(net.options ?? {})) {
      if (key.startsWith(DOCKER_OPTION_PREFIX)) checkOption(report, name, net, key, v);
    }
  }
}
