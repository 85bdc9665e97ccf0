// Throwaway network namespaces for kernel tests. Nothing here touches the namespace the tests run
// in: every command is `ip -n NS …`, `ip netns exec NS …`, or adds/deletes namespaces this
// process named (`ws-t<pid>-…`).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mustRun, run, sleep, type RunOptions, type RunResult } from './proc.js';

const NETNS_DIR = '/run/netns';
const ETC_NETNS = '/etc/netns';
const TAG = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Namespaces under /run/netns. */
export function listNamespaces(): string[] {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

/**
 * `name` itself and every namespace named `name` + a separator + anything (`name-web`,
 * `name-outside`, `name.x`), but not `name1` or `namex`: `ws-t42-a` does not own `ws-t42-ab`.
 */
export function namespacesUnder(name: string): string[] {
  return listNamespaces().filter((n) => isUnder(n, name));
}

const isUnder = (n: string, name: string): boolean => n === name || (n.startsWith(name) && !/[A-Za-z0-9]/.test(n[name.length]!));

/**
 * What wirestate leaves outside the namespaces for `name` and those under it: /etc/netns/<ns>/
 * (resolv.conf, hosts, environment) and its services' runtime directory /run/wirestate/netns-<name>.
 */
function removeFilesUnder(name: string): void {
  let etc: string[] = [];
  try {
    etc = readdirSync(ETC_NETNS);
  } catch {
    // no /etc/netns at all
  }
  for (const n of etc.filter((n) => isUnder(n, name))) rmSync(join(ETC_NETNS, n), { recursive: true, force: true });
  rmSync(`/run/wirestate/netns-${name}`, { recursive: true, force: true });
}

/**
 * Deletes the given namespaces, first ending the processes inside them (which only our tests can
 * have started, in namespaces only we named): SIGTERM, then SIGKILL after 2 s. Bounded; throws
 * when a namespace is still there afterwards.
 */
export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const pids = new Set<number>();
  for (const ns of names) {
    const r = await run('ip', ['netns', 'pids', ns], { timeoutMs: 10_000 });
    for (const word of r.stdout.split(/\s+/)) {
      const pid = Number(word);
      if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) pids.add(pid);
    }
  }
  if (pids.size) {
    signalAll(pids, 'SIGTERM');
    for (let i = 0; i < 20 && [...pids].some(alive); i++) await sleep(100);
    signalAll(pids, 'SIGKILL');
  }
  // -force: keep going past a namespace that is already gone.
  await run('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}\n`).join(''), timeoutMs: 60_000 });
  const left = listNamespaces().filter((n) => names.includes(n));
  if (left.length) throw new Error(`could not delete network namespaces: ${left.join(', ')}`);
}

function signalAll(pids: Set<number>, sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface HostNs {
  /** The namespace: pass it to wirestate as `--netns NAME`. */
  name: string;
  /** A temporary directory of this test's own, removed by cleanup(). */
  dir: string;
  /** An empty directory inside `dir`: pass it as `--state-dir`. */
  stateDir: string;
  /** Writes a desired-state directory (relative file path → YAML text) inside `dir`; returns its path. */
  writeSpec(files: Record<string, string>, sub?: string): string;
  /**
   * Ends processes in, and deletes, this namespace and every namespace named under it
   * (`<name>-<endpoint>` made by wirestate, `<name>-outside`) — the DNS service wirestate runs in
   * it too — then removes their /etc/netns/ directories, /run/wirestate/netns-<name> and `dir`. Idempotent.
   */
  cleanup(): Promise<void>;
}

/**
 * Creates the namespace `ws-t<pid>-<tag>` with loopback up, to stand in for a host, and its
 * /etc/netns/<name>/resolv.conf. Anything left under that name by an earlier process with the same
 * pid is deleted first. Call cleanup() in a finally / afterAll, also when the test fails.
 */
export async function makeHostNs(tag: string): Promise<HostNs> {
  if (!TAG.test(tag)) throw new Error(`makeHostNs: tag "${tag}" must match ${TAG}`);
  const name = `ws-t${process.pid}-${tag}`;
  await deleteNamespaces(namespacesUnder(name));
  removeFilesUnder(name);
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  const host: HostNs = {
    name,
    dir,
    stateDir,
    writeSpec(files, sub = 'spec') {
      const root = join(dir, sub);
      rmSync(root, { recursive: true, force: true });
      for (const [file, text] of Object.entries(files)) {
        const path = join(root, file);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
      }
      mkdirSync(root, { recursive: true });
      return root;
    },
    async cleanup() {
      try {
        await deleteNamespaces(namespacesUnder(name));
      } finally {
        removeFilesUnder(name);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    await mustRun('ip', ['netns', 'add', name]);
    await mustRun('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    // The host's resolvers as wirestate reads them (what `ip netns exec` shows): one that is not
    // there, so no DNS forwarding in a test ever reaches a real resolver unless a test points it at its own.
    mkdirSync(join(ETC_NETNS, name), { recursive: true });
    writeFileSync(join(ETC_NETNS, name, 'resolv.conf'), 'nameserver 127.0.0.1\n');
  } catch (err) {
    await host.cleanup().catch(() => {});
    throw err;
  }
  return host;
}

export interface OutsideNs {
  /** The outside namespace: `<host>-outside`. */
  name: string;
  /** The host's end of the uplink, in the host namespace (`uplink0`). */
  hostIf: string;
  /** The host's address on the uplink: 198.51.100.1. */
  hostAddr: string;
  /** The outside's address on the uplink: 198.51.100.2; also the host's default gateway. */
  addr: string;
  /** An address beyond the uplink, on the outside's loopback: 203.0.113.1 ("the internet"). */
  far: string;
}

export interface OutsideOptions {
  /**
   * Subnet(s) the outside routes back to via the host (198.51.100.1). Leave out to have replies
   * reach only what the host masquerades; give an internal network's subnet so that, when it is
   * unreachable, the firewall is the reason and not a missing route.
   */
  subnet?: string | string[];
}

/**
 * A simulated outside world joined to `host` by a veth: `uplink0` (198.51.100.1/24) in the host
 * namespace, with the host's default route through it, and `eth0` (198.51.100.2/24) in
 * `<host>-outside`, which also holds 203.0.113.1/32 on its loopback. Removed by the host's cleanup().
 * IP forwarding in the host namespace is left as it is: setting it is wirestate's job.
 */
export async function outsideNs(host: HostNs | string, opts: OutsideOptions = {}): Promise<OutsideNs> {
  const hostName = typeof host === 'string' ? host : host.name;
  const out: OutsideNs = { name: `${hostName}-outside`, hostIf: 'uplink0', hostAddr: '198.51.100.1', addr: '198.51.100.2', far: '203.0.113.1' };
  const routes = opts.subnet === undefined ? [] : Array.isArray(opts.subnet) ? opts.subnet : [opts.subnet];
  await deleteNamespaces(namespacesUnder(out.name));
  try {
    await mustRun('ip', ['netns', 'add', out.name]);
    await mustRun('ip', ['-n', out.name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', out.hostIf, 'netns', hostName]);
    // addrgenmode none before up: no IPv6 link-local addresses, no DAD/MLD chatter.
    await batch(out.name, [
      'link set lo up',
      'link set eth0 addrgenmode none',
      `addr add ${out.addr}/24 dev eth0`,
      `addr add ${out.far}/32 dev lo`,
      'link set eth0 up',
      ...routes.map((cidr) => `route replace ${cidr} via ${out.hostAddr}`),
    ]);
    await batch(hostName, [
      `link set ${out.hostIf} addrgenmode none`,
      `addr add ${out.hostAddr}/24 dev ${out.hostIf}`,
      `link set ${out.hostIf} up`,
      `route replace default via ${out.addr}`,
    ]);
  } catch (err) {
    await deleteNamespaces(namespacesUnder(out.name)).catch(() => {});
    throw err;
  }
  return out;
}

/** Runs `ip -n NS -batch -` with these lines; throws on the first failing line. */
export async function batch(ns: string, lines: readonly string[]): Promise<void> {
  await mustRun('ip', ['-n', ns, '-batch', '-'], { input: lines.map((l) => l + '\n').join('') });
}

/** Runs `cmd args…` inside the namespace (`ip netns exec`). */
export function inNs(ns: string, cmd: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** True when `addr` answers one ping from inside `ns` within a second; `tries` repeats that. */
export async function ping(ns: string, addr: string, { tries = 1 }: { tries?: number } = {}): Promise<boolean> {
  for (let i = 0; i < Math.min(Math.max(tries, 1), 30); i++) {
    const r = await inNs(ns, 'ping', ['-c1', '-W1', '-n', '-q', addr], { timeoutMs: 5_000 });
    if (r.code === 0) return true;
  }
  return false;
}
