// Every error a user can hit at the command line, with the one line it prints (never a stack).
import { existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/store/lock.js';
import { hostStateDir } from '../../src/store/state-file.js';
import { type HostNs, cliPath, makeHostNs, requireRoot, run, runCli } from './helpers/index.js';

const kernel = requireRoot();

describe.skipIf(!kernel)('command-line errors', () => {
  let host: HostNs;
  let dir: string;
  const base = () => ['--netns', host.name, '--state-dir', host.stateDir];

  beforeAll(async () => {
    host = await makeHostNs('cli');
    dir = host.writeSpec({ 'n.yaml': 'networks:\n  n: { subnet: 10.33.0.0/24 }\nsettings: { defaultBridge: { enabled: false } }\n' });
  });
  afterAll(async () => {
    await host?.cleanup();
  });

  it('refuses --netns together with --sandbox', async () => {
    const r = await runCli(['plan', '--netns', host.name, '--sandbox', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: use either --netns or --sandbox, not both');
  });

  it('says why a sandbox name cannot be a namespace, in one line', async () => {
    const r = await runCli(['plan', '--sandbox=no/such', '--state-dir', host.stateDir, dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: --sandbox=no/such: could not create the namespace: Invalid netns name "no/such"');
  });

  it('refuses an output format a command does not have', async () => {
    const r = await runCli(['plan', ...base(), '-o', 'yaml', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: -o yaml: expected one of text, json');
  });

  it('says a spec directory does not exist', async () => {
    const r = await runCli(['validate', join(host.dir, 'nope')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(host.dir, 'nope')}: no such file or directory`);
  });

  it('names an endpoint namespace that does not exist', async () => {
    const d = host.writeSpec({ 'e.yaml': 'endpoints:\n  vm: { netns: no-such-ns-here, networks: [bridge] }\n' }, 'missing-ns');
    const r = await runCli(['plan', ...base(), d]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: an endpoint names a namespace that does not exist, nothing was changed');
    expect(r.stderr).toContain('endpoints.vm.netns: namespace "no-such-ns-here" does not exist (create it first, or drop netns: to let wirestate create one)');
  });

  it('says exec has nothing to enter before a reconcile', async () => {
    const r = await runCli(['exec', ...base(), '-d', dir, 'ghost', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error: endpoint "ghost" has no namespace here (looked for ${host.name}-ghost); run \`wirestate reconcile --once\` first`);
  });

  it('keeps a second reconciler off a host that is being changed', async () => {
    const release = await acquireLock(hostStateDir(host.stateDir, host.name));
    try {
      const r = await runCli(['reconcile', '--once', ...base(), dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error: another wirestate (pid ${process.pid}) is changing this host; wait for it or stop it`);
    } finally {
      await release();
    }
  });

  it('takes over the lock of a process that died', async () => {
    const lockDir = hostStateDir(host.stateDir, host.name);
    writeFileSync(join(lockDir, 'lock'), '999999999\n');
    const r = await runCli(['reconcile', '--once', ...base(), dir]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('names the package of a missing system tool in one line', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'wirestate-nopath-'));
    const r = await run(process.execPath, [cliPath, 'plan', ...base(), dir], { env: { ...process.env, PATH: empty, NO_COLOR: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: \S+ is not installed: apt-get install (util-linux|iproute2)$/);
  });

  it('publishes UDP ports without conntrack, and says what that leaves undone', async () => {
    // Every tool of the machine but conntrack.
    const bin = mkdtempSync(join(tmpdir(), 'wirestate-noconntrack-'));
    for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin']) {
      for (const f of existsSync(d) ? readdirSync(d) : []) if (f !== 'conntrack' && !existsSync(join(bin, f))) symlinkSync(join(d, f), join(bin, f));
    }
    const d = host.writeSpec({ 'u.yaml': 'networks:\n  n: { subnet: 10.33.0.0/24 }\nendpoints:\n  syslog: { networks: [n], ports: ["5514:514/udp"] }\nsettings: { defaultBridge: { enabled: false } }\n' }, 'udp');
    const r = await run(process.execPath, [cliPath, 'reconcile', '--once', ...base(), d], { env: { ...process.env, PATH: bin, NO_COLOR: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning: conntrack is not installed: apt-get install conntrack — until then a UDP flow that began before a port was published or changed keeps its old path until it is idle for 30 s',
    );
    expect(JSON.parse((await runCli(['plan', ...base(), '-o', 'json', d])).stdout)).toEqual({ changes: [] });
  });

  it('asks for root when not root', async () => {
    const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cliPath, 'plan', dir], { env: { ...process.env, NO_COLOR: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: wirestate plan needs root: it reads and changes network namespaces, links and the firewall. Run it with sudo.');
  });
});
