// Published ports with real traffic: from a simulated outside, from the host, from endpoints;
// reachable where they must be, refused where they must not.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostNs, type OutsideNs, type TcpServer, inNs, makeHostNs, mustRun, outsideNs, requireRoot, run, runCli, sleep, tcpConnect, tcpServer } from './helpers/index.js';

const kernel = requireRoot();

const SPEC = `networks:
  front: { subnet: 10.30.0.0/24 }
  inner: { subnet: 10.31.0.0/24, internal: true }
endpoints:
  web:
    networks: [front]
    ports:
      - "8080:80"
      - "127.0.0.1:8443:443/tcp"
      - "9000-9001:9000-9001"
      - "5353:53/udp"
      - { target: 7000, published: 7000, allowFrom: [198.51.100.2/32] }
  rand:
    networks: [front]
    ports: ["80"]
  peer:
    networks: [front]
  db:
    networks: [inner]
    ports: ["5432:5432"]
settings:
  defaultBridge: { enabled: false }
`;

describe.skipIf(!kernel)('published ports', () => {
  let host: HostNs;
  let outside: OutsideNs;
  let dir: string;
  const servers: TcpServer[] = [];
  const ns = (e: string) => `${host.name}-${e}`;
  const cli = (cmd: string, ...extra: string[]) => runCli([cmd, ...(cmd === 'reconcile' ? ['--once'] : []), '--netns', host.name, '--state-dir', host.stateDir, ...extra, dir]);
  const hostAddr = () => outside.hostAddr;

  beforeAll(async () => {
    host = await makeHostNs('ports');
    outside = await outsideNs(host, { subnet: ['10.30.0.0/24', '10.31.0.0/24'] });
    dir = host.writeSpec({ 'spec.yaml': SPEC });
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: endpoints.db.ports: the endpoint has no non-internal bridge network, so nothing is published');
    for (const port of [80, 443, 9000, 9001, 7000]) servers.push(await tcpServer(ns('web'), port));
    servers.push(await tcpServer(ns('rand'), 80));
    servers.push(await tcpServer(ns('db'), 5432));
  });
  afterAll(async () => {
    for (const s of servers) await s();
    await host?.cleanup();
  });

  it('reaches a published port from outside, with the client address intact', async () => {
    expect(await tcpConnect(outside.name, hostAddr(), 8080, { data: 'hello\n' })).toBe(true);
    await sleep(200);
    expect(servers[0].received()).toContain('hello');
    expect(servers[0].log()).toContain(`Connection received on ${outside.addr}`);
    expect(await tcpConnect(outside.name, hostAddr(), 9000)).toBe(true);
    expect(await tcpConnect(outside.name, hostAddr(), 9001)).toBe(true);
  });

  it('keeps a 127.0.0.1 port to the host: reachable from the host, refused from outside', async () => {
    expect(await tcpConnect(host.name, '127.0.0.1', 8443)).toBe(true);
    expect(await tcpConnect(host.name, '127.0.0.1', 8080)).toBe(true);
    expect(await tcpConnect(outside.name, hostAddr(), 8443)).toBe(false);
    // Even sent straight at 127.0.0.1 by a neighbour on the host's link.
    await mustRun('ip', ['-n', outside.name, 'route', 'replace', '127.0.0.1/32', 'via', hostAddr()]).catch(() => undefined);
    expect(await tcpConnect(outside.name, '127.0.0.1', 8443)).toBe(false);
  });

  it('honours allowFrom: the listed source connects, another does not', async () => {
    expect(await tcpConnect(outside.name, hostAddr(), 7000)).toBe(true);
    const other = await inNs(outside.name, 'nc', ['-nz', '-w', '2', '-s', outside.far, hostAddr(), '7000'], { timeoutMs: 6000 });
    expect(other.code).not.toBe(0);
  });

  it('never lets the outside reach endpoint addresses directly, published or not', async () => {
    expect(await tcpConnect(outside.name, '10.30.0.4', 80)).toBe(false); // web, published on 8080
    expect(await tcpConnect(outside.name, '10.31.0.2', 5432)).toBe(false); // db, internal
    expect(await tcpConnect(outside.name, hostAddr(), 5432)).toBe(false); // the internal port was not published
  });

  it('works from endpoints through the host address: a neighbour, and an endpoint reaching itself', async () => {
    expect(await tcpConnect(ns('peer'), hostAddr(), 8080)).toBe(true);
    expect(await tcpConnect(ns('web'), hostAddr(), 8080)).toBe(true);
  });

  it('publishes UDP', async () => {
    const server = spawn('ip', ['netns', 'exec', ns('web'), 'nc', '-lu', '53'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let got = '';
    server.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
    try {
      await sleep(300);
      await inNs(outside.name, 'sh', ['-c', `echo ping-udp | nc -u -w1 ${hostAddr()} 5353`], { timeoutMs: 5000 });
      for (let i = 0; i < 20 && !got; i++) await sleep(100);
      expect(got).toContain('ping-udp');
    } finally {
      server.kill();
    }
  });

  it('drops a UDP flow that began before its port was published, so the next packet reaches the endpoint', async () => {
    const server = spawn('ip', ['netns', 'exec', ns('web'), 'nc', '-klu', '54'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let got = '';
    server.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
    // The same client port every time: to conntrack, one flow.
    const send = (text: string) => inNs(outside.name, 'sh', ['-c', `echo ${text} | nc -u -p 41000 -w1 ${hostAddr()} 5354`], { timeoutMs: 5000 });
    const flows = async () => (await inNs(host.name, 'conntrack', ['-L', '-p', 'udp', '--orig-port-dst', '5354'])).stdout.trim().split('\n').filter(Boolean);
    try {
      await send('before');
      expect(await flows()).toHaveLength(1); // unreplied, to the host itself: nothing was published yet
      writeFileSync(join(dir, 'spec.yaml'), SPEC.replace('      - "5353:53/udp"\n', '      - "5353:53/udp"\n      - "5354:54/udp"\n'));
      const r = await cli('reconcile');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('warning: conntrack');
      await send('after');
      for (let i = 0; i < 20 && !got.includes('after'); i++) await sleep(100);
      expect(got).toContain('after');
      expect(got).not.toContain('before');
    } finally {
      server.kill();
      writeFileSync(join(dir, 'spec.yaml'), SPEC);
      await cli('reconcile');
    }
  });

  it('chooses a random port from ip_local_port_range, shows it, and keeps it across restarts', async () => {
    const range = (await inNs(host.name, 'cat', ['/proc/sys/net/ipv4/ip_local_port_range'])).stdout.trim().split(/\s+/).map(Number);
    const state = () => JSON.parse(readFileSync(join(host.stateDir, `netns-${host.name}`, 'state.json'), 'utf8')).allocations.ports as Record<string, number>;
    const port = state()['rand 0.0.0.0:*->80/tcp'];
    expect(port).toBeGreaterThanOrEqual(range[0]);
    expect(port).toBeLessThanOrEqual(range[1]);
    expect(await tcpConnect(outside.name, hostAddr(), port)).toBe(true);
    const insp = await runCli(['network', 'inspect', '--netns', host.name, '--state-dir', host.stateDir, 'front']);
    const rand = Object.values(JSON.parse(insp.stdout)[0].Containers).find((c) => (c as { Name: string }).Name === 'rand') as { Ports: string[] };
    expect(rand.Ports).toEqual([`0.0.0.0:${port}->80/tcp`]);
    expect((await cli('reconcile')).stderr).toMatch(/in sync/);
    expect(state()['rand 0.0.0.0:*->80/tcp']).toBe(port);
    // With the state file gone, the port is read back from the kernel.
    rmSync(join(host.stateDir, `netns-${host.name}`, 'state.json'));
    expect((await cli('reconcile')).stderr).toMatch(/in sync/);
    expect(state()['rand 0.0.0.0:*->80/tcp']).toBe(port);
  });

  it('adds a port without touching other endpoints, keeping an open connection alive', async () => {
    const client = spawn('ip', ['netns', 'exec', outside.name, 'nc', '-n', hostAddr(), '8080'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      client.stdin.write('before\n');
      await sleep(300);
      writeFileSync(join(dir, 'spec.yaml'), SPEC.replace('      - "8080:80"\n', '      - "8080:80"\n      - "8081:81"\n'));
      const p = await cli('plan', '-o', 'json');
      expect(p.code).toBe(2);
      expect(JSON.parse(p.stdout).changes.map((c: { name: string }) => c.name)).toEqual(['nat/WIRESTATE-DN-web', 'filter/WIRESTATE-PF-web']);
      const r = await cli('reconcile');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('+ -p tcp -m tcp --dport 8081 -j DNAT --to-destination 10.30.0.4:81');
      client.stdin.write('after\n');
      await sleep(300);
      expect(servers[0].received()).toContain('before\nafter\n');
    } finally {
      client.kill();
    }
  });

  it('reports a flushed nat chain as drift and repairs it, leaving the rules of the nat user chain alone', async () => {
    await mustRun('ip', ['netns', 'exec', host.name, 'iptables', '-t', 'nat', '-A', 'WIRESTATE-USER', '-s', '192.0.2.5', '-j', 'RETURN']);
    await mustRun('ip', ['netns', 'exec', host.name, 'iptables', '-t', 'nat', '-F', 'WIRESTATE-DN-web']);
    const d = await cli('drift', '-o', 'json');
    expect(d.code).toBe(2);
    expect(JSON.parse(d.stdout).items.map((i: { name: string; status: string }) => `${i.status} ${i.name}`)).toEqual(['changed nat/WIRESTATE-DN-web']);
    expect(await tcpConnect(outside.name, hostAddr(), 8080)).toBe(false);
    expect((await cli('reconcile')).code).toBe(0);
    expect(await tcpConnect(outside.name, hostAddr(), 8080)).toBe(true);
    const save = (await mustRun('ip', ['netns', 'exec', host.name, 'iptables-save', '-t', 'nat'])).stdout;
    expect(save).toContain('-A WIRESTATE-USER -s 192.0.2.5/32 -j RETURN');
  });

  it('treats a firewall reload that wipes every table as drift, and restores the ports', async () => {
    await mustRun('ip', ['netns', 'exec', host.name, 'iptables-restore'], { input: '*filter\nCOMMIT\n*nat\nCOMMIT\n*raw\nCOMMIT\n' });
    expect(await tcpConnect(outside.name, hostAddr(), 8080)).toBe(false);
    const d = await cli('drift', '-o', 'json');
    expect(d.code).toBe(2);
    const items = JSON.parse(d.stdout).items.map((i: { name: string; status: string }) => `${i.status} ${i.name}`);
    expect(items).toEqual(expect.arrayContaining(['missing filter/FORWARD', 'missing nat/WIRESTATE-DN-web', 'missing filter/WIRESTATE-PF-web', 'missing raw/WIRESTATE-PREROUTING']));
    expect((await cli('reconcile')).code).toBe(0);
    expect(await tcpConnect(outside.name, hostAddr(), 8080)).toBe(true);
    expect((await cli('drift')).code).toBe(0);
  });

  it('refuses a host port a process already listens on, saying which', async () => {
    const squatter = spawn('ip', ['netns', 'exec', host.name, 'nc', '-l', '8099'], { stdio: 'ignore' });
    try {
      await sleep(300);
      writeFileSync(join(dir, 'squat.yaml'), 'endpoints:\n  squat:\n    networks: [front]\n    ports: ["8099:80"]\n');
      const r = await cli('reconcile');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`endpoints.squat.ports: host port 8099/tcp is already in use on the host by nc (pid ${squatter.pid})`);
    } finally {
      squatter.kill();
      await run('rm', ['-f', join(dir, 'squat.yaml')]);
    }
  });

  it('leaves Docker-style chains of another tool working through reconcile and down', async () => {
    const foreign = ['-N DOCKER-USER', '-A FORWARD -j DOCKER-USER', '-A DOCKER-USER -s 192.0.2.9/32 -j DROP', '-t nat -N DOCKER', '-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER'];
    for (const rule of foreign) await mustRun('ip', ['netns', 'exec', host.name, 'sh', '-c', `iptables ${rule}`]);
    expect((await cli('reconcile')).code).toBe(0);
    expect((await cli('down')).code).toBe(0);
    const save = (await mustRun('ip', ['netns', 'exec', host.name, 'iptables-save'])).stdout;
    expect(save).toContain('-A FORWARD -j DOCKER-USER');
    expect(save).toContain('-A DOCKER-USER -s 192.0.2.9/32 -j DROP');
    expect(save).toContain('-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER');
    expect(save.split('\n').filter((l) => /WIRESTATE-(?!USER)/.test(l))).toEqual([]);
  });
});

describe.skipIf(!kernel)('settings.iptables: false', () => {
  let host: HostNs;
  afterAll(async () => {
    await host?.cleanup();
  });

  it('writes no firewall rule at all, ports or not', async () => {
    host = await makeHostNs('noipt');
    const dir = host.writeSpec({ 's.yaml': 'networks:\n  n: { subnet: 10.32.0.0/24 }\nendpoints:\n  a: { networks: [n], ports: ["8080:80"] }\nsettings: { iptables: false, defaultBridge: { enabled: false } }\n' });
    const args = ['--netns', host.name, '--state-dir', host.stateDir, dir];
    const r = await runCli(['reconcile', '--once', ...args]);
    expect(r.code, r.stderr).toBe(0);
    expect((await mustRun('ip', ['netns', 'exec', host.name, 'iptables-save'])).stdout).not.toMatch(/wirestate/i);
    expect((await runCli(['reconcile', '--once', ...args])).stderr).toMatch(/in sync/);
  });
});

describe.skipIf(!kernel)("a bridge whose name has a '.'", () => {
  let host: HostNs;
  let server: TcpServer | undefined;
  afterAll(async () => {
    await server?.();
    await host?.cleanup();
  });

  it('gets route_localnet for its 127.0.0.1 port at /proc/sys/net/ipv4/conf/br.5, and stays in sync', async () => {
    host = await makeHostNs('dotbr');
    const dir = host.writeSpec({ 's.yaml': 'networks:\n  n: { subnet: 10.33.0.0/24, bridge: br.5 }\nendpoints:\n  a: { networks: [n], ports: ["127.0.0.1:8443:443"] }\nsettings: { defaultBridge: { enabled: false } }\n' });
    const args = ['--netns', host.name, '--state-dir', host.stateDir, dir];
    const r = await runCli(['reconcile', '--once', ...args]);
    expect(r.code, r.stderr).toBe(0);
    expect((await mustRun('ip', ['netns', 'exec', host.name, 'cat', '/proc/sys/net/ipv4/conf/br.5/route_localnet'])).stdout.trim()).toBe('1');
    // 127.0.0.1 DNATed to the endpoint leaves through br.5 with a loopback source: only route_localnet lets it.
    server = await tcpServer(`${host.name}-a`, 443);
    expect(await tcpConnect(host.name, '127.0.0.1', 8443)).toBe(true);
    expect(JSON.parse((await runCli(['plan', '-o', 'json', ...args])).stdout)).toEqual({ changes: [] });
  });
});
