// Pure parsing of `ss -Hlnptu`: who listens on which TCP or UDP port in a namespace.
import type { Listener } from '../model/state.js';

const PROTOCOL: Record<string, Listener['protocol']> = { tcp: 'tcp', udp: 'udp', sctp: 'sctp' };

/** "0.0.0.0:8080", "[::]:53", "*:80", "127.0.0.1%lo:53" → address and port. */
function splitAddress(local: string): { address: string; port: number } | undefined {
  const i = local.lastIndexOf(':');
  if (i < 0) return undefined;
  const port = Number(local.slice(i + 1));
  let address = local.slice(0, i).replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (address === '*') address = '0.0.0.0';
  return Number.isInteger(port) ? { address, port } : undefined;
}

export function parseSs(output: string): Listener[] {
  const out: Listener[] = [];
  for (const line of output.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const protocol = PROTOCOL[cols[0]];
    if (!protocol || cols.length < 5) continue;
    const local = splitAddress(cols[4]);
    if (!local) continue;
    const users = /users:\(\("([^"]+)",pid=(\d+)/.exec(line);
    out.push({ protocol, ...local, ...(users ? { process: `${users[1]} (pid ${users[2]})` } : {}) });
  }
  return out;
}
