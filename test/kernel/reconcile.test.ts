// The single-host core end to end: the bundled examples converged in a throwaway host namespace by
// the real CLI, checked with real packets, re-run for idempotence, broken by hand and repaired.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostVethName } from '../../src/reconcile/names.js';
import { type HostNs, type OutsideNs, inNs, makeHostNs, mustRun, outsideNs, ping, repoRoot, requireRoot, run, runCli, sleep, tcpServer } from './helpers/index.js';

const kernel = requireRoot();

describe.skipIf(!kernel)('reconcile the examples in a sandbox host', () => {
  let host: HostNs;
  let outside: OutsideNs;
  let dir: string;
  const ns = (e: string) => `${host.name}-${e}`;
  const cli = (cmd: string, ...extra: string[]) => runCli([cmd, ...(cmd === 'reconcile' ? ['--once'] : []), '--netns', host.name, '--state-dir', host.stateDir, ...extra, dir]);
  const iptables = (...args: string[]) => inNs(host.name, 'iptables', args);

  beforeAll(async () => {
    host = await makeHostNs('core');
    // The outside routes the internal network back to the host, so a failed ping proves the firewall, not a missing route.
    outside = await outsideNs(host, { subnet: '10.20.0.0/24' });
    dir = join(host.dir, 'spec');
    cpSync(join(repoRoot, 'examples/networks'), dir, { recursive: true });
  });
  afterAll(async () => {
    await host?.cleanup();
  });

  it('converges on the first pass and says so', async () => {
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/converged/);
    expect(r.stdout).toContain('+ namespace');
  });

  it('plans zero changes on the second pass', async () => {
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/in sync: nothing to do/);
    const p = await cli('plan', '-o', 'json');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toEqual({ changes: [] });
    const d = await cli('drift', '-o', 'json');
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout)).toEqual({ inSync: true, items: [] });
  });

  it('lets endpoints on one network reach each other and keeps networks apart', async () => {
    expect(await ping(ns('web'), '10.10.0.2', { tries: 3 })).toBe(true); // api on frontend
    expect(await ping(ns('api'), '10.20.0.20')).toBe(true); // db on backend
    expect(await ping(ns('web'), '10.20.0.20')).toBe(false); // web is not on backend
    expect(await ping(ns('web'), '10.20.0.10')).toBe(false); // not even api's backend address
  });

  it('masquerades a normal network to the outside and cuts an internal one off', async () => {
    expect(await ping(ns('web'), outside.far, { tries: 3 })).toBe(true);
    expect(await ping(ns('db'), outside.far)).toBe(false);
    expect(await ping(outside.name, '10.20.0.20')).toBe(false);
    // Endpoint addresses are not reachable from outside even with a route to them.
    await mustRun('ip', ['-n', outside.name, 'route', 'replace', '10.10.0.0/24', 'via', outside.hostAddr]);
    expect(await ping(outside.name, '10.10.0.3')).toBe(false);
  });

  it('gives each endpoint lo up, eth0… in network order, the first non-internal default route, IPv6 off', async () => {
    const addr = JSON.parse((await mustRun('ip', ['-n', ns('api'), '-j', '-d', 'link', 'show'])).stdout) as { ifname: string; flags: string[]; inet6_addr_gen_mode?: string; ifalias?: string }[];
    const byName = Object.fromEntries(addr.map((l) => [l.ifname, l]));
    expect(byName.lo.flags).toContain('UP');
    expect(byName.eth0.ifalias).toBe('wirestate endpoint api network backend');
    expect(byName.eth1.ifalias).toBe('wirestate endpoint api network frontend');
    expect(byName.eth0.inet6_addr_gen_mode).toBe('none');
    const routes = (await mustRun('ip', ['-n', ns('api'), 'route', 'show', 'default'])).stdout.trim();
    expect(routes).toBe('default via 10.10.0.1 dev eth1');
    const v6 = (await mustRun('ip', ['-n', ns('api'), '-6', 'addr', 'show'])).stdout;
    expect(v6).not.toMatch(/eth\d/);
  });

  it('shows the networks Docker-style', async () => {
    const ls = await runCli(['network', 'ls', '--netns', host.name, '--state-dir', host.stateDir, '-o', 'json']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout).map((n: { Name: string }) => n.Name)).toEqual(['backend', 'bridge', 'frontend', 'host', 'none']);
    const insp = await runCli(['network', 'inspect', '--netns', host.name, '--state-dir', host.stateDir, 'backend']);
    expect(insp.code, insp.stderr).toBe(0);
    const [backend] = JSON.parse(insp.stdout);
    expect(backend.Internal).toBe(true);
    expect(backend.IPAM.Config).toEqual([{ Subnet: '10.20.0.0/24', Gateway: '10.20.0.1' }]);
    expect(Object.values(backend.Containers).map((c) => (c as { Name: string; IPv4Address: string }).IPv4Address).sort()).toEqual(['10.20.0.10/24', '10.20.0.20/24']);
    const missing = await runCli(['network', 'inspect', '--netns', host.name, '--state-dir', host.stateDir, 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such network: nope');
  });

  it('runs a command inside an endpoint with exec and passes its exit status', async () => {
    const r = await runCli(['exec', '--netns', host.name, '--state-dir', host.stateDir, '-d', dir, 'db', '--', 'sh', '-c', 'ip -4 -o addr show dev eth0; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('10.20.0.20/24');
  });

  it('reports a veth deleted by hand as drift (exit 2) and repairs it', async () => {
    const veth = hostVethName('web', 'frontend');
    await mustRun('ip', ['-n', host.name, 'link', 'del', veth]);
    const d = await cli('drift', '-o', 'json');
    expect(d.code).toBe(2);
    const items = JSON.parse(d.stdout).items as { kind: string; name: string; status: string }[];
    expect(items).toContainEqual(expect.objectContaining({ kind: 'link', name: veth, status: 'missing' }));
    expect(items).toContainEqual(expect.objectContaining({ kind: 'address', name: '10.10.0.3/24 dev eth0', status: 'missing' }));
    const text = await cli('drift');
    expect(text.code).toBe(2);
    expect(text.stdout).toContain(`link ${veth}`);
    const md = await cli('drift', '-o', 'markdown');
    expect(md.stdout).toContain('| object | where | drift | expected | found |');
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(await ping(ns('web'), '10.10.0.2', { tries: 3 })).toBe(true);
    expect((await cli('drift')).code).toBe(0);
  });

  it('reports a flushed chain and repairs it, leaving the user chain alone', async () => {
    await iptables('-A', 'WIRESTATE-USER', '-s', '192.0.2.99', '-j', 'DROP');
    await iptables('-F', 'WIRESTATE-FORWARD');
    const d = await cli('drift', '-o', 'json');
    expect(d.code).toBe(2);
    expect(JSON.parse(d.stdout).items).toEqual([expect.objectContaining({ kind: 'chain', name: 'filter/WIRESTATE-FORWARD', status: 'changed' })]);
    expect((await cli('reconcile')).code).toBe(0);
    expect((await cli('drift')).code).toBe(0);
    const user = (await iptables('-S', 'WIRESTATE-USER')).stdout;
    expect(user).toContain('-A WIRESTATE-USER -s 192.0.2.99/32 -j DROP');
    const forward = (await iptables('-S', 'FORWARD')).stdout.split('\n').filter((l) => l.startsWith('-A'));
    expect(forward.slice(0, 2)).toEqual(['-A FORWARD -m comment --comment wirestate -j WIRESTATE-USER', '-A FORWARD -m comment --comment wirestate -j WIRESTATE-FORWARD']);
  });

  it('connects an endpoint to another network without touching its existing interface or connections', async () => {
    const server = await tcpServer(ns('api'), 7000);
    const client = spawn('ip', ['netns', 'exec', ns('web'), 'nc', '-n', '10.10.0.2', '7000'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      client.stdin.write('before\n');
      await sleep(300);
      const before = (await mustRun('ip', ['-n', ns('web'), '-j', 'link', 'show', 'eth0'])).stdout;
      writeFileSync(join(dir, 'endpoints.yaml'), (await import('node:fs')).readFileSync(join(dir, 'endpoints.yaml'), 'utf8').replace('networks: [frontend]', 'networks: [frontend, backend]'));
      const r = await cli('reconcile');
      expect(r.code, r.stderr).toBe(0);
      const after = (await mustRun('ip', ['-n', ns('web'), '-j', 'link', 'show', 'eth0'])).stdout;
      expect(JSON.parse(after)[0].ifindex).toBe(JSON.parse(before)[0].ifindex);
      expect((await mustRun('ip', ['-n', ns('web'), '-4', '-o', 'addr', 'show', 'eth0'])).stdout).toContain('10.10.0.3/24');
      expect(await ping(ns('web'), '10.20.0.20', { tries: 3 })).toBe(true); // now on backend as eth1
      client.stdin.write('after\n');
      await sleep(300);
      expect(server.received()).toBe('before\nafter\n');
    } finally {
      client.kill();
      await server();
    }
  });

  it('keeps addresses when the state file is lost (rebuilt from the kernel)', async () => {
    rmSync(host.stateDir, { recursive: true, force: true });
    const p = await cli('plan', '-o', 'json');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).changes).toEqual([]);
  });

  it('changes nothing in the kernel when the spec is invalid, and names file:line:col', async () => {
    const before = (await mustRun('ip', ['netns', 'exec', host.name, 'iptables-save'])).stdout.replace(/^#.*$/gm, '');
    writeFileSync(join(dir, 'broken.yaml'), 'networks:\n  extra:\n    subnet: 10.99.0.0/33\n');
    try {
      const r = await cli('reconcile');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('broken.yaml:3:13: networks.extra.subnet: "10.99.0.0/33" is not an IPv4 CIDR');
      const after = (await mustRun('ip', ['netns', 'exec', host.name, 'iptables-save'])).stdout.replace(/^#.*$/gm, '');
      expect(after).toBe(before);
      expect((await mustRun('ip', ['-n', host.name, 'link', 'show'])).stdout).not.toContain('ws-extra');
    } finally {
      rmSync(join(dir, 'broken.yaml'));
    }
  });

  it('leaves a foreign bridge and a foreign rule alone through reconcile and down, and refuses to take a foreign bridge name', async () => {
    await mustRun('ip', ['-n', host.name, 'link', 'add', 'br-foreign', 'type', 'bridge']);
    await iptables('-A', 'FORWARD', '-s', '192.0.2.1/32', '-j', 'ACCEPT');
    expect((await cli('reconcile')).code).toBe(0);
    writeFileSync(join(dir, 'clash.yaml'), 'networks:\n  clash:\n    subnet: 10.98.0.0/24\n    bridge: br-foreign\n');
    const clash = await cli('reconcile');
    rmSync(join(dir, 'clash.yaml'));
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('networks.clash: bridge name "br-foreign" is already used by a link wirestate does not own');

    const down = await cli('down');
    expect(down.code, down.stderr).toBe(0);
    const links = (await mustRun('ip', ['-n', host.name, '-o', 'link', 'show'])).stdout;
    expect(links).toContain('br-foreign');
    expect(links).not.toContain('wirestate');
    const save = (await mustRun('ip', ['netns', 'exec', host.name, 'iptables-save'])).stdout;
    expect(save).toContain('-A FORWARD -s 192.0.2.1/32 -j ACCEPT');
    expect(save).toContain('-A WIRESTATE-USER -s 192.0.2.99/32 -j DROP');
    expect(save.split('\n').filter((l) => /WIRESTATE-(?!USER)/.test(l))).toEqual([]);
    const left = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`${host.name}-`) && !l.startsWith(`${host.name}-outside`));
    expect(left).toEqual([]);
  });

  it('removes the files of an endpoint whose namespace was deleted by hand once the spec drops it', async () => {
    const extra = join(dir, 'extra.yaml');
    writeFileSync(extra, 'endpoints:\n  gone: { networks: [frontend] }\n');
    expect((await cli('reconcile')).code).toBe(0);
    const etc = `/etc/netns/${ns('gone')}`;
    expect(existsSync(join(etc, 'resolv.conf'))).toBe(true);
    await mustRun('ip', ['netns', 'del', ns('gone')]);
    rmSync(extra);
    const p = await cli('plan', '-o', 'json');
    const changes = (JSON.parse(p.stdout) as { changes: { action: string; kind: string; name: string }[] }).changes;
    expect(changes.filter((c) => c.name.startsWith(etc)).map((c) => `${c.action} ${c.kind} ${c.name}`).sort()).toEqual([`delete file ${etc}/hosts`, `delete file ${etc}/resolv.conf`]);
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(etc)).toBe(false);
    expect(JSON.parse((await cli('plan', '-o', 'json')).stdout)).toEqual({ changes: [] });
  });

  it('refuses to prune everything for an empty spec unless --allow-empty', async () => {
    expect((await cli('reconcile')).code).toBe(0);
    const empty = join(host.dir, 'empty');
    cpSync(join(dir, 'settings.yaml'), join(empty, 'settings.yaml'), { recursive: true });
    const args = ['reconcile', '--once', '--netns', host.name, '--state-dir', host.stateDir];
    const refused = await runCli([...args, empty]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('declares no networks and no endpoints');
    expect((await cli('plan')).code).toBe(0);
    const allowed = await runCli([...args, '--allow-empty', empty]);
    expect(allowed.code, allowed.stderr).toBe(0);
  });
});

describe.skipIf(!kernel)('an apply killed halfway', () => {
  let host: HostNs;
  afterAll(async () => {
    await host?.cleanup();
  });

  it('converges on the next pass', async () => {
    host = await makeHostNs('kill');
    const endpoints = Array.from({ length: 60 }, (_, i) => `  e${i}: { networks: [n] }`).join('\n');
    const dir = host.writeSpec({ 'spec.yaml': `networks:\n  n: { subnet: 10.61.0.0/24 }\nendpoints:\n${endpoints}\nsettings: { defaultBridge: { enabled: false } }\n` });
    const args = ['reconcile', '--once', '--netns', host.name, '--state-dir', host.stateDir, dir];
    const child = spawn(process.execPath, [join(repoRoot, 'bin/wirestate.js'), ...args], { stdio: 'ignore' });
    // Kill once namespaces exist but before the pass can have finished.
    for (let i = 0; i < 200; i++) {
      const names = (await run('ip', ['netns', 'list'])).stdout;
      if (names.includes(`${host.name}-e`)) break;
      await sleep(10);
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    const third = await runCli(args);
    expect(third.stderr).toMatch(/in sync/);
    expect(await ping(`${host.name}-e0`, '10.61.0.61', { tries: 3 })).toBe(true);
  });
});
