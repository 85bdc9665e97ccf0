// The embedded DNS end to end: `reconcile --once` in a throwaway host namespace starts one
// resolver for every endpoint; dig inside endpoints asks it at 127.0.0.11 over UDP and TCP; an
// upstream of the test's own, in its own namespace, answers what it forwards; the endpoint files
// are checked byte for byte; edits, renames, a killed service and a namespace deleted by hand are
// repaired; `down` stops it and removes every file.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_HEADER } from '../../src/reconcile/files/header.js';
import { hostVethName } from '../../src/reconcile/names.js';
import { dig, lookup, startUpstream, status, type Upstream } from './helpers/dns.js';
import { type HostNs, type OutsideNs, inNs, makeHostNs, mustRun, outsideNs, requireRoot, run, runCli, sleep } from './helpers/index.js';

const kernel = requireRoot();

const H = `${MANAGED_HEADER}\n`;
const LOCALHOST = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

const SPEC = `
networks:
  front: { subnet: 10.71.0.0/24 }
  back: { subnet: 10.72.0.0/24, internal: true }
  quiet: { subnet: 10.73.0.0/24, dns: false }
endpoints:
  web: { hostname: www, networks: [front], extraHosts: ["gw:host-gateway"], proxy: { http: "http://proxy.test:3128" } }
  api: { networks: { front: {}, back: { aliases: [api-internal] } } }
  db: { networks: [back] }
  local: { networks: [front], dns: [198.51.100.99, 127.0.0.1] }
  mute: { networks: [quiet] }
  legacy: { links: ["legacy2:old"] }
  legacy2: { expose: [5432] }
settings:
  proxies: { default: { noProxy: "*.test" } }
`;

/** Pids of `wirestate dns` processes serving host namespace `host`. */
function dnsProcesses(host: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv.includes('dns') && argv.includes(host) && argv.some((a) => a.endsWith('wirestate.js'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(!kernel)('embedded DNS at 127.0.0.11', () => {
  let host: HostNs;
  let outside: OutsideNs;
  let dir: string;
  const upstreams: Upstream[] = [];
  const ns = (e: string) => `${host.name}-${e}`;
  const etc = (e: string, file: string) => `/etc/netns/${ns(e)}/${file}`;
  const run_ = () => `/run/wirestate/netns-${host.name}/dns`;
  const cli = (cmd: string, ...extra: string[]) => runCli([cmd, ...(cmd === 'reconcile' ? ['--once'] : []), '--netns', host.name, '--state-dir', host.stateDir, ...extra, dir]);
  const servicePid = (): number => Number(readFileSync(`${run_()}/pid`, 'utf8').trim());

  beforeAll(async () => {
    host = await makeHostNs('dns');
    outside = await outsideNs(host);
    // The host's resolvers as a process in it sees them: first its own uplink address, where
    // nothing listens (refused at once: fail over), then the test's upstream in the outside namespace.
    writeFileSync(`/etc/netns/${host.name}/resolv.conf`, `nameserver ${outside.hostAddr}\nnameserver ${outside.addr}\nsearch corp.test\n`);
    upstreams.push(await startUpstream(outside.name, outside.addr, '203.0.113.7'));
    dir = host.writeSpec({ 'spec.yaml': SPEC });
  });

  afterAll(async () => {
    if (host) {
      // The resolver reconcile started: `down` stops it; if down could not, its pid does.
      await cli('down').catch(() => undefined);
      for (const pid of dnsProcesses(host.name)) process.kill(pid, 'SIGKILL');
    }
    for (const u of upstreams) await u.stop();
    await host?.cleanup();
  });

  it('converges with one resolver process for every endpoint, and a second pass has nothing to do', async () => {
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\+ service +dns +start, serving sha256:[0-9a-f]{16}/);
    expect(r.stderr).not.toMatch(/warning/);
    const p = await cli('plan', '-o', 'json');
    expect(JSON.parse(p.stdout)).toEqual({ changes: [] });
    expect(dnsProcesses(host.name)).toEqual([servicePid()]);
    // It runs in the host's namespace: that is where the host's resolvers are asked from.
    expect((await run('ip', ['netns', 'pids', host.name])).stdout.split(/\s+/)).toContain(String(servicePid()));
  });

  it('answers endpoint names, hostnames, aliases and name.network, from the networks the asker shares only', async () => {
    expect(await lookup(ns('web'), ['api'])).toEqual(['10.71.0.2']);
    expect(await lookup(ns('web'), ['www'])).toEqual(['10.71.0.4']);
    expect(await lookup(ns('web'), ['API.front'])).toEqual(['10.71.0.2']);
    expect(await lookup(ns('api'), ['db'])).toEqual(['10.72.0.3']);
    expect(await lookup(ns('api'), ['api-internal'])).toEqual(['10.72.0.2']);
    expect(await lookup(ns('db'), ['api.back'])).toEqual(['10.72.0.2']);
    // web is not on back: its names go upstream, which does not know them.
    expect(await lookup(ns('web'), ['db'])).toEqual([]);
    expect(await lookup(ns('web'), ['api-internal'])).toEqual([]);
    expect(await status(ns('web'), ['db'])).toBe('NXDOMAIN');
    // An unknown name in a network's own domain is answered here, authoritatively.
    const nx = await dig(ns('web'), ['nobody.front']);
    expect(nx.stdout).toMatch(/status: NXDOMAIN/);
    expect(nx.stdout).toMatch(/flags: qr aa/);
    expect(await lookup(ns('web'), ['AAAA', 'api'])).toEqual([]);
    expect(await status(ns('web'), ['AAAA', 'api'])).toBe('NOERROR');
  });

  it('answers PTR for endpoint addresses as name.network', async () => {
    expect(await lookup(ns('web'), ['-x', '10.71.0.2'])).toEqual(['api.front.']);
    expect(await lookup(ns('api'), ['-x', '10.72.0.3'])).toEqual(['db.back.']);
  });

  it('answers over TCP too', async () => {
    expect(await lookup(ns('web'), ['+tcp', 'api'])).toEqual(['10.71.0.2']);
    expect(await lookup(ns('api'), ['+tcp', '-x', '10.71.0.4'])).toEqual(['web.front.']);
  });

  it("forwards other names to the host's resolvers from the host's namespace, failing over past one that refuses, over the client's transport", async () => {
    expect(await lookup(ns('web'), ['name.upstream.test'])).toEqual(['203.0.113.7']);
    expect(await lookup(ns('web'), ['TXT', 'whoami.upstream.test'])).toEqual([`"udp" "${outside.hostAddr}"`]);
    expect(await lookup(ns('web'), ['+tcp', 'TXT', 'whoami.upstream.test'])).toEqual([`"tcp" "${outside.hostAddr}"`]);
  });

  it("asks an endpoint's own dns servers from inside the endpoint, moving on after a timeout", async () => {
    // 127.0.0.1 inside `local` is a resolver only that namespace has.
    upstreams.push(await startUpstream(ns('local'), '127.0.0.1', '203.0.113.8'));
    const t0 = performance.now();
    expect(await lookup(ns('local'), ['name.upstream.test'], { time: 8 })).toEqual(['203.0.113.8']);
    // The first server (198.51.100.99) is not there: one 2 s timeout, then the next.
    expect(performance.now() - t0).toBeGreaterThan(1_900);
    expect(await lookup(ns('local'), ['+tcp', 'TXT', 'whoami.upstream.test'], { time: 8 })).toEqual(['"tcp" "127.0.0.1"']);
  });

  it("does not forward for an endpoint only on internal networks (Docker's rule): SERVFAIL", async () => {
    expect(await status(ns('db'), ['name.upstream.test'])).toBe('SERVFAIL');
  });

  it('has no resolver on the default bridge or on a network with dns: false', async () => {
    for (const e of ['legacy', 'mute']) {
      expect(await status(ns(e), ['web'], { time: 1 }), e).toMatch(/refused|timed out|no servers/);
      expect((await inNs(ns(e), 'ss', ['-Hlun'])).stdout, e).not.toContain('127.0.0.11');
    }
  });

  it('writes resolv.conf, hosts and environment as the spec says, byte for byte, and exec sees them', async () => {
    const read = (e: string, f: string) => readFileSync(etc(e, f), 'utf8');
    expect(read('web', 'resolv.conf')).toBe(`${H}nameserver 127.0.0.11\nsearch corp.test\noptions ndots:0\n`);
    expect(read('legacy', 'resolv.conf')).toBe(`${H}nameserver ${outside.hostAddr}\nnameserver ${outside.addr}\nsearch corp.test\n`);
    expect(read('mute', 'resolv.conf')).toBe(read('legacy', 'resolv.conf'));
    expect(read('web', 'hosts')).toBe(`${H}${LOCALHOST}10.71.0.1\tgw\n10.71.0.4\twww\n`);
    expect(read('api', 'hosts')).toBe(`${H}${LOCALHOST}10.72.0.2\tapi\n10.71.0.2\tapi\n`);
    expect(read('legacy', 'hosts')).toBe(`${H}${LOCALHOST}172.17.0.3\told legacy2\n172.17.0.2\tlegacy\n`);
    expect(read('web', 'environment')).toBe(`${H}HTTP_PROXY=http://proxy.test:3128\nhttp_proxy=http://proxy.test:3128\nNO_PROXY=*.test\nno_proxy=*.test\n`);
    expect(read('legacy', 'environment')).toBe(
      `${H}NO_PROXY=*.test\nno_proxy=*.test\nOLD_PORT=tcp://172.17.0.3:5432\nOLD_PORT_5432_TCP=tcp://172.17.0.3:5432\nOLD_PORT_5432_TCP_ADDR=172.17.0.3\nOLD_PORT_5432_TCP_PORT=5432\nOLD_PORT_5432_TCP_PROTO=tcp\nOLD_NAME=/legacy/old\n`,
    );
    const x = await runCli(['exec', '--netns', host.name, '--state-dir', host.stateDir, '-d', dir, 'web', '--', 'sh', '-c', 'cat /etc/resolv.conf /etc/hosts; echo "[$HTTP_PROXY][$no_proxy]"']);
    expect(x.code, x.stderr).toBe(0);
    expect(x.stdout).toBe(`${read('web', 'resolv.conf')}${read('web', 'hosts')}[http://proxy.test:3128][*.test]\n`);
    expect(x.stderr).toBe('');
  });

  it('reports a file edited by hand as drift with a line diff, and puts it back', async () => {
    writeFileSync(etc('web', 'hosts'), `${readFileSync(etc('web', 'hosts'), 'utf8')}192.0.2.66\tevil\n`);
    const d = await cli('drift', '-o', 'json');
    expect(d.code).toBe(2);
    const items = JSON.parse(d.stdout).items as { kind: string; name: string; status: string; detail?: string[] }[];
    expect(items).toEqual([expect.objectContaining({ kind: 'file', name: etc('web', 'hosts'), status: 'changed' })]);
    expect(items[0].detail).toContain('- 192.0.2.66\tevil');
    expect((await cli('drift')).stdout).toContain(`file ${etc('web', 'hosts')}`);
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(etc('web', 'hosts'), 'utf8')).not.toContain('evil');
    expect((await cli('drift')).code).toBe(0);
  });

  it('answers the new name and forgets the old one on the next pass; the old namespace really goes', async () => {
    writeFileSync(`${dir}/spec.yaml`, SPEC.replace('  db: { networks: [back] }', '  store: { networks: [back] }'));
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/~ service +dns +sha256:[0-9a-f]{16} → sha256:[0-9a-f]{16}/);
    expect(await lookup(ns('api'), ['store'])).toEqual(['10.72.0.3']);
    expect(await lookup(ns('api'), ['db'])).toEqual([]);
    // Its sockets were closed first: nothing kept the deleted namespace, or its veth, alive.
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(ns('db'));
    expect((await mustRun('ip', ['-n', host.name, '-o', 'link', 'show'])).stdout).not.toContain(hostVethName('db', 'back'));
    expect(readdirSync('/etc/netns')).not.toContain(ns('db'));
  });

  it('restarts a resolver that was killed, which drift reports as a missing service', async () => {
    const pid = servicePid();
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && dnsProcesses(host.name).includes(pid); i++) await sleep(100);
    const d = await cli('drift', '-o', 'json');
    expect(d.code).toBe(2);
    expect(JSON.parse(d.stdout).items).toEqual([expect.objectContaining({ kind: 'service', name: 'dns', status: 'missing' })]);
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(servicePid()).not.toBe(pid);
    expect(await lookup(ns('web'), ['api'])).toEqual(['10.71.0.2']);
  });

  it('lets go of a namespace deleted by hand at once, and serves it again once reconcile makes it anew', async () => {
    await mustRun('ip', ['netns', 'del', ns('web')]);
    // The veth inside goes with the namespace only if no socket keeps the namespace alive.
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      gone = !(await mustRun('ip', ['-n', host.name, '-o', 'link', 'show'])).stdout.includes(hostVethName('web', 'front'));
      if (!gone) await sleep(100);
    }
    expect(gone).toBe(true);
    const drift = JSON.parse((await cli('drift', '-o', 'json')).stdout).items as { kind: string; name: string; patch: unknown[] }[];
    expect(drift).toContainEqual(expect.objectContaining({ kind: 'service', name: 'dns' }));
    expect(JSON.stringify(drift.find((i) => i.kind === 'service')?.patch)).toContain(`network namespace ${ns('web')} does not exist`);
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(await lookup(ns('web'), ['api'])).toEqual(['10.71.0.2']);
  });

  it('`wirestate dns` by hand: one per host, and only for a host namespace that exists', async () => {
    // Bounded: should it start after all, it is killed after 15 s.
    const second = await runCli(['dns', '--netns', host.name], { timeoutMs: 15_000 });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`already runs the DNS service for this host (lock: ${run_()}/pid)`);
    const missing = await runCli(['dns', '--netns', `${host.name}-nope`], { timeoutMs: 15_000 });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error: host network namespace ${host.name}-nope does not exist`);
  });

  it('fails the pass, naming the namespace, when 127.0.0.11:53 is taken in an endpoint', async () => {
    const taken = ns('taken');
    await mustRun('ip', ['netns', 'add', taken]);
    await mustRun('ip', ['-n', taken, 'link', 'set', 'lo', 'up']);
    const squatter = await startUpstream(taken, '127.0.0.11', '203.0.113.9');
    upstreams.push(squatter);
    writeFileSync(`${dir}/taken.yaml`, `endpoints:\n  taken: { netns: ${taken}, networks: [front] }\n`);
    const r = await cli('reconcile');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the dns service: 127.0.0.11:53 is already taken in network namespace ${taken}`);
    await squatter.stop();
    const again = await cli('reconcile');
    expect(again.code, again.stderr).toBe(0);
    expect(await lookup(taken, ['api'])).toEqual(['10.71.0.2']);
    await run('rm', ['-f', `${dir}/taken.yaml`]);
    expect((await cli('reconcile')).code).toBe(0);
  });

  it('down stops the resolver and removes every file it wrote', async () => {
    const pid = servicePid();
    const r = await cli('down');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/- service +dns +stop/);
    expect(dnsProcesses(host.name)).toEqual([]);
    expect(dnsProcesses(host.name)).not.toContain(pid);
    expect(readdirSync('/etc/netns').filter((n) => n.startsWith(`${host.name}-`))).toEqual([]);
    expect(readdirSync('/run/wirestate')).not.toContain(`netns-${host.name}`);
  });
});
