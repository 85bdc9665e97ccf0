// An endpoint's environment file: the proxy variables Docker's client injects (settings.proxies
// and the endpoint's `proxy`, field by field), and the variables of Docker's legacy links. Pure.
import type { Protocol } from '../../spec/ports.js';
import { managedFile } from './header.js';

export interface Proxy {
  http?: string;
  https?: string;
  ftp?: string;
  noProxy?: string;
}

const PROXY_VARIABLES: [keyof Proxy, string][] = [
  ['http', 'HTTP_PROXY'],
  ['https', 'HTTPS_PROXY'],
  ['ftp', 'FTP_PROXY'],
  ['noProxy', 'NO_PROXY'],
];

/** Each set field as NAME=value and name=value: some programs read one spelling, some the other. */
export function proxyVariables(defaults: Proxy | undefined, own: Proxy | undefined): string[] {
  const merged = { ...defaults, ...own };
  return PROXY_VARIABLES.flatMap(([field, name]) => {
    const value = merged[field];
    return value === undefined ? [] : [`${name}=${value}`, `${name.toLowerCase()}=${value}`];
  });
}

export interface LinkTarget {
  /** The endpoint holding the link. */
  parent: string;
  alias: string;
  address: string;
  /** The linked endpoint's exposed and published endpoint ports. */
  ports: { port: number; protocol: Protocol }[];
}

/** Docker's order: by port number, TCP first on a tie. */
const byPort = (a: LinkTarget['ports'][number], b: LinkTarget['ports'][number]): number => a.port - b.port || (a.protocol === 'tcp' ? -1 : b.protocol === 'tcp' ? 1 : 0);

/** Docker's link variables (daemon/links/links.go), without the _START/_END ones of port ranges. */
export function linkVariables(link: LinkTarget): string[] {
  const prefix = link.alias.toUpperCase().replaceAll('-', '_');
  const ports = [...link.ports].sort(byPort);
  const out: string[] = [];
  if (ports[0]) out.push(`${prefix}_PORT=${ports[0].protocol}://${link.address}:${ports[0].port}`);
  for (const { port, protocol } of ports) {
    const p = `${prefix}_PORT_${port}_${protocol.toUpperCase()}`;
    out.push(`${p}=${protocol}://${link.address}:${port}`, `${p}_ADDR=${link.address}`, `${p}_PORT=${port}`, `${p}_PROTO=${protocol}`);
  }
  out.push(`${prefix}_NAME=/${link.parent}/${link.alias}`);
  return out;
}

/** undefined when there is nothing to set: no file then. */
export function renderEnvironment(variables: string[]): string | undefined {
  return variables.length ? managedFile(variables) : undefined;
}

/** The variables of an environment file: NAME=value lines; the header, comments and blank lines skipped. */
export function parseEnvironment(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) vars[m[1]!] = m[2]!;
  }
  return vars;
}
