// Reads the links, IPv4 addresses and main-table routes of many namespaces with one process:
// nsdump.py hops through them with setns(2), which Node cannot call (see the script for why).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';

/**
 * Next to this module: src/kernel/ when run from source (vitest), dist/ in the bundle
 * dist/wirestate.mjs, where scripts/bundle.mjs copies it.
 */
const SCRIPT = fileURLToPath(new URL('./nsdump.py', import.meta.url));

/**
 * The interpreter Debian's python3 package installs, when there: a `python3` found first on PATH
 * may be a version-manager shim (pyenv, asdf), which costs ~200 ms per spawn against ~15 ms.
 */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** One namespace as `ip -j -d` prints it: link show, addr show, route show table main. */
export interface NetnsDump {
  links: unknown[];
  addrs: unknown[];
  routes: unknown[];
  /** The id this namespace gives the host namespace: a link's link_netnsid when its lower link is the host's. */
  hostNsid?: number;
}

/** "missing" when the namespace does not exist. */
export type NetnsDumpResult = NetnsDump | { error: string };

/** Pure: nsdump.py's output (one JSON object per line) → namespace as given → its dump or error. */
export function parseNsdump(stdout: string): Map<string, NetnsDumpResult> {
  const out = new Map<string, NetnsDumpResult>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const { ns, ...rest } = JSON.parse(line) as { ns: string; host_nsid?: unknown } & Partial<NetnsDump> & { error?: string };
    if (typeof rest.error === 'string') out.set(ns, { error: rest.error });
    else if (Array.isArray(rest.links) && Array.isArray(rest.addrs) && Array.isArray(rest.routes)) {
      out.set(ns, { links: rest.links, addrs: rest.addrs, routes: rest.routes, ...(typeof rest.host_nsid === 'number' ? { hostNsid: rest.host_nsid } : {}) });
    } else throw new Error(`nsdump.py printed an unexpected line: ${line.slice(0, 200)}`);
  }
  return out;
}

/**
 * Dumps every namespace (names under /run/netns or paths) in one python3 process; throws
 * MissingToolError without python3. `host`: the host namespace (null: this process's).
 */
export async function dumpNamespaces(namespaces: readonly string[], host: string | null = null): Promise<Map<string, NetnsDumpResult>> {
  if (namespaces.length === 0) return new Map();
  // -I: no PYTHON* variables, user site or cwd on sys.path (we run as root); -S: no site, faster start.
  const res = await run(PYTHON, ['-I', '-S', SCRIPT, ...(host !== null ? ['--host', host] : [])], { input: namespaces.map((n) => `${n}\n`).join('') });
  if (res.code !== 0) throw new Error(`${PYTHON} ${SCRIPT} failed: ${res.stderr.trim() || `exit status ${res.code}`}`);
  const dumps = parseNsdump(res.stdout);
  const lost = namespaces.filter((n) => !dumps.has(n));
  if (lost.length > 0) throw new Error(`nsdump.py did not report on ${lost.join(', ')}`);
  return dumps;
}
