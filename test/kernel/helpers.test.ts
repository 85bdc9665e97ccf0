// The kernel-test helpers, exercised for real: namespaces appear and disappear, the simulated
// outside is reachable, cleanup takes everything under the host's name (and nothing else), and
// the namespace the tests run in is left as it was.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  batch,
  deleteNamespaces,
  inNs,
  listNamespaces,
  makeHostNs,
  mustRun,
  namespacesUnder,
  outsideNs,
  ping,
  repoRoot,
  requireRoot,
  run,
  runCli,
  sleep,
  tcpConnect,
  tcpServer,
  type HostNs,
} from './helpers/index.js';

describe('requireRoot', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('skips when not root, and fails instead with WIRESTATE_REQUIRE_KERNEL=1', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    vi.stubEnv('WIRESTATE_REQUIRE_KERNEL', '');
    expect(requireRoot()).toBe(false);
    vi.stubEnv('WIRESTATE_REQUIRE_KERNEL', '1');
    expect(() => requireRoot()).toThrow(/not running as root/);
  });
});

const kernel = requireRoot();

/** What a test must never change: the links, addresses and routes of the namespace it runs in. */
async function rootSnapshot(): Promise<string> {
  const links = await mustRun('ip', ['-o', 'link', 'show']);
  const addrs = await mustRun('ip', ['-o', 'addr', 'show']);
  const routes = await mustRun('ip', ['route', 'show', 'table', 'all']);
  // Counters and link states move on their own; names, addresses and routes do not.
  const names = links.stdout.split('\n').map((l) => l.split(':').slice(0, 2).join(':'));
  return [names.join('\n'), addrs.stdout.replace(/valid_lft.*$/gm, ''), routes.stdout].join('\n--\n');
}

describe.skipIf(!kernel)('kernel helpers', () => {
  const hosts: HostNs[] = [];
  afterAll(async () => {
    for (const h of hosts) await h.cleanup();
  });

  it('makeHostNs, outsideNs, ping, tcpServer, cleanup', async () => {
    const before = await rootSnapshot();
    const host = await makeHostNs('self');
    hosts.push(host);
    // A sibling whose name only starts with the same characters: cleanup() must leave it alone.
    const sibling = await makeHostNs('selfx');
    hosts.push(sibling);

    expect(host.name).toBe(`ws-t${process.pid}-self`);
    expect(listNamespaces()).toContain(host.name);
    expect(existsSync(host.stateDir)).toBe(true);
    expect(await ping(host.name, '127.0.0.1')).toBe(true);

    const out = await outsideNs(host, { subnet: '10.99.0.0/24' });
    expect(out.name).toBe(`${host.name}-outside`);
    expect(await ping(host.name, out.addr, { tries: 3 })).toBe(true);
    expect(await ping(out.name, out.hostAddr)).toBe(true);
    // Beyond the uplink: needs the host's default route through the outside.
    expect(await ping(host.name, out.far)).toBe(true);
    expect(await ping(host.name, '198.51.100.99')).toBe(false);
    const back = await inNs(out.name, 'ip', ['route', 'show', '10.99.0.0/24']);
    expect(back.stdout).toContain(`via ${out.hostAddr}`);

    const stop = await tcpServer(out.name, 8080);
    try {
      expect(await tcpConnect(host.name, out, 8080, { data: 'hello\n' })).toBe(true);
      for (let i = 0; i < 20 && !stop.received().includes('hello'); i++) await sleep(50);
      expect(stop.received()).toContain('hello');
      expect(stop.log()).toContain(out.hostAddr);
      expect(await tcpConnect(host.name, out, 8081, { timeoutS: 1 })).toBe(false);
    } finally {
      await stop();
    }

    // An "endpoint" namespace as wirestate names them, with a process left running in it.
    const endpoint = `${host.name}-web`;
    await mustRun('ip', ['netns', 'add', endpoint]);
    await batch(endpoint, ['link set lo up']);
    const sleeper = spawn('ip', ['netns', 'exec', endpoint, 'sleep', '60'], { stdio: 'ignore' });
    const gone = new Promise<void>((r) => sleeper.on('close', () => r()));
    for (let i = 0; i < 50 && (await run('ip', ['netns', 'pids', endpoint])).stdout.trim() === ''; i++) await sleep(50);

    expect(namespacesUnder(host.name).sort()).toEqual([host.name, out.name, endpoint].sort());
    await host.cleanup();
    expect(namespacesUnder(host.name)).toEqual([]);
    expect(existsSync(host.dir)).toBe(false);
    await Promise.race([gone, sleep(3_000)]);
    expect(sleeper.exitCode !== null || sleeper.signalCode !== null).toBe(true);
    expect(listNamespaces()).toContain(sibling.name);
    await host.cleanup(); // idempotent

    await sibling.cleanup();
    expect(listNamespaces()).not.toContain(sibling.name);
    expect(await rootSnapshot()).toBe(before);
  });

  it('deleteNamespaces tolerates names that are already gone', async () => {
    await expect(deleteNamespaces([`ws-t${process.pid}-never-made`])).resolves.toBeUndefined();
  });
});

const cliBuilt = existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'));

describe.skipIf(!cliBuilt)('runCli', () => {
  it('runs the built CLI: the shipped example validates', async () => {
    const r = await runCli(['validate', 'examples/networks']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
  });
});
