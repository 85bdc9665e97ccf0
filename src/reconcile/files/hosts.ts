// An endpoint's hosts file, as Docker writes it: localhost lines, extraHosts in order, legacy
// links, then the endpoint's own addresses with its hostname. Pure.
import { managedFile } from './header.js';

const LOCALHOST = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

export interface HostsEntry {
  address: string;
  names: string[];
}

export interface HostsInput {
  hostname: string;
  /** The endpoint's own addresses, one line each. */
  addresses: string[];
  extraHosts: HostsEntry[];
  /** Default bridge links: the linked endpoint's address under its alias, hostname and name. */
  links: HostsEntry[];
}

/** "web.example.com" is also known by its first label, as Docker writes it. */
function hostnames(hostname: string): string[] {
  const short = hostname.split('.')[0];
  return short && short !== hostname ? [hostname, short] : [hostname];
}

const line = (e: HostsEntry): string => `${e.address}\t${[...new Set(e.names)].join(' ')}`;

export function renderHosts(i: HostsInput): string {
  return managedFile([...LOCALHOST, ...i.extraHosts.map(line), ...i.links.map(line), ...i.addresses.map((address) => line({ address, names: hostnames(i.hostname) }))]);
}
