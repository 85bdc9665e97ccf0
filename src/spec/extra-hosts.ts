// `extraHosts` entries, Docker's --add-host: "NAME:ADDRESS" or "NAME=ADDRESS", the address IPv4,
// IPv6 or "host-gateway" (the endpoint's gateway). Pure; shared by the spec checks and compile.
import { isIP } from 'node:net';

export const HOST_GATEWAY = 'host-gateway';

export type ExtraHost = { ok: true; name: string; address: string } | { ok: false; error: string };

const NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

export function parseExtraHost(entry: string): ExtraHost {
  // The name cannot hold ':' or '=', the address can (IPv6): split at the first one.
  const at = entry.search(/[:=]/);
  if (at < 0) return { ok: false, error: `"${entry}" is not an extra host; write NAME:ADDRESS` };
  const name = entry.slice(0, at);
  const address = entry.slice(at + 1).replace(/^\[(.*)\]$/, '$1');
  if (!NAME.test(name)) return { ok: false, error: `"${name}" is not a host name` };
  if (address !== HOST_GATEWAY && isIP(address) === 0) return { ok: false, error: `"${address}" is not an IP address (or ${HOST_GATEWAY})` };
  return { ok: true, name, address };
}
