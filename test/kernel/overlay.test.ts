// Overlay networks across three simulated hosts: namespaces joined by a veth underlay, each running
// the real CLI with its own --host on the same spec. Checked with real packets: across hosts by
// address, out through the gateway bridge (and not out of an internal overlay), published ports,
// entries following endpoints and hosts as they come and go, and an encrypted network's traffic on
// the wire.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HostNs,
  type OutsideNs,
  type UnderlayHost,
  capture,
  inNs,
  joinUnderlay,
  makeHostNs,
  mustRun,
  outsideNs,
  ping,
  requireRoot,
  runCli,
  tcpConnect,
  tcpServer,
} from './helpers/index.js';
import { lookup } from './helpers/dns.js';

const kernel = requireRoot();

/** Whether this kernel can hold an ESP state with AES-GCM (CONFIG_INET_ESP, CONFIG_CRYPTO_GCM): probed in a namespace of its own. */
function espSupported(): boolean {
  if (!kernel) return false;
  const ns = `ws-t${process.pid}-esp`;
  spawnSync('ip', ['netns', 'add', ns]);
  try {
    const key = `0x${'ab'.repeat(36)}`;
    return spawnSync('ip', ['-n', ns, 'xfrm', 'state', 'add', 'src', '192.0.2.1', 'dst', '192.0.2.2', 'proto', 'esp', 'spi', '0x1000', 'mode', 'transport', 'aead', 'rfc4106(gcm(aes))', key, '128']).status === 0;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

const SEC_VNI = 5001;

const spec = (extra: { endpoints?: string; hosts?: string; networks?: string } = {}) => `
hosts:
  a: { address: 192.0.2.11 }
  b: { address: 192.0.2.12 }
${extra.hosts ?? '  c: { address: 192.0.2.13 }'}
networks:
  front: { driver: overlay, subnet: 10.40.0.0/24 }
  back: { driver: overlay, subnet: 10.41.0.0/24, internal: true, vni: 7000 }
${extra.networks ?? ''}
endpoints:
  web: { host: a, networks: [front], ports: ["8080:80"] }
  job: { host: a, networks: [back] }
  api: { host: b, networks: [front, back] }
${extra.endpoints ?? '  db: { host: c, networks: [back] }'}
settings: { defaultBridge: { enabled: false } }
`;

describe.skipIf(!kernel)('overlay networks across three hosts', () => {
  let underlay: HostNs;
  /** Every host namespace made so far, for afterAll even when beforeAll stopped half-way. */
  const made: HostNs[] = [];
  let hosts: UnderlayHost[];
  let outside: OutsideNs;
  let dir: string;
  const hostNames = ['a', 'b', 'c'];
  const hostNs = (h: string) => hosts[hostNames.indexOf(h)].host;
  const ns = (h: string, e: string) => `${hostNs(h).name}-${e}`;
  const cli = (h: string, cmd: string, ...extra: string[]) =>
    runCli([cmd, ...(cmd === 'reconcile' ? ['--once'] : []), '--netns', hostNs(h).name, '--host', h, '--state-dir', hostNs(h).stateDir, ...extra, dir]);
  const writeSpec = (text: string) => writeFileSync(join(dir, 'spec.yaml'), text);
  /** The endpoint's IPv4 address on ethN, as its own host's kernel has it. */
  const addrOf = async (h: string, e: string, ifname = 'eth0') => {
    const out = (await mustRun('ip', ['-n', ns(h, e), '-4', '-o', 'addr', 'show', 'dev', ifname])).stdout;
    return /inet ([\d.]+)\//.exec(out)?.[1] ?? '';
  };
  const fdb = async (h: string) => (await mustRun('ip', ['netns', 'exec', hostNs(h).name, 'bridge', 'fdb', 'show'])).stdout;
  const reconcileAll = async (names = hostNames) => {
    for (const h of names) {
      const r = await cli(h, 'reconcile');
      expect(r.code, `${h}: ${r.stderr}`).toBe(0);
    }
  };

  beforeAll(async () => {
    underlay = await makeHostNs('ovu');
    for (const h of hostNames) made.push(await makeHostNs(`ov${h}`));
    hosts = await joinUnderlay(underlay, made);
    // The outside routes the internal network back to host a: if it is unreachable, wirestate is why.
    outside = await outsideNs(hostNs('a'), { subnet: '10.41.0.0/24' });
    dir = join(hostNs('a').dir, 'spec');
    writeFileSync(join(hostNs('a').dir, 'sec.key'), `${'5e'.repeat(32)}\n`);
    hostNs('a').writeSpec({ 'spec.yaml': spec() });
  });

  afterAll(async () => {
    // down first: it stops the DNS service each host runs, then the namespaces go.
    if (hosts) for (const h of hostNames) await cli(h, 'down').catch(() => undefined);
    for (const host of made) await host.cleanup();
    await underlay?.cleanup();
  });

  it('converges every host with its own --host, and a second pass has nothing to do', async () => {
    await reconcileAll();
    for (const h of hostNames) {
      const p = await cli(h, 'plan', '-o', 'json');
      expect(p.code, p.stderr).toBe(0);
      expect(JSON.parse(p.stdout)).toEqual({ changes: [] });
    }
  });

  it('shows an overlay Docker-style, beside its gateway bridge', async () => {
    const ls = await runCli(['network', 'ls', '--netns', hostNs('a').name, '--state-dir', hostNs('a').stateDir, '-o', 'json']);
    expect(ls.code, ls.stderr).toBe(0);
    const views = JSON.parse(ls.stdout) as { Name: string; Driver: string; Scope: string }[];
    expect(views.find((v) => v.Name === 'back')).toMatchObject({ Driver: 'overlay', Scope: 'swarm' });
    expect(views.find((v) => v.Name === 'ws_gwbridge')).toMatchObject({ Driver: 'bridge', Scope: 'local' });
    // The overlays' bridges hold no address: the subnet comes from the endpoints here; back (job: no way out) is internal.
    expect(views.find((v) => v.Name === 'front')).toMatchObject({ Subnet: '10.40.0.0/24', Internal: false });
    expect(views.find((v) => v.Name === 'back')).toMatchObject({ Subnet: '10.41.0.0/24', Internal: true });
    const inspect = await runCli(['network', 'inspect', '--netns', hostNs('a').name, '--state-dir', hostNs('a').stateDir, 'back', 'front']);
    expect(inspect.code, inspect.stderr).toBe(0);
    const [back, front] = JSON.parse(inspect.stdout);
    expect(back.Options).toMatchObject({ 'com.docker.network.driver.overlay.vxlanid_list': '7000' });
    expect(back).toMatchObject({ Internal: true, IPAM: { Config: [{ Subnet: '10.41.0.0/24' }] } });
    expect(front).toMatchObject({ Internal: false, IPAM: { Config: [{ Subnet: '10.40.0.0/24' }] } });
    // Peers: this host, and the hosts its forwarding entries tunnel to (back has endpoints on b and c, front on b only).
    expect(back.Peers).toEqual(['192.0.2.11', '192.0.2.12', '192.0.2.13'].map((ip) => ({ Name: ip, IP: ip })));
    expect(front.Peers).toEqual(['192.0.2.11', '192.0.2.12'].map((ip) => ({ Name: ip, IP: ip })));
    const named = await runCli(['network', 'inspect', '--netns', hostNs('a').name, '--state-dir', hostNs('a').stateDir, '-d', dir, 'back']);
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout)[0].Peers).toEqual([
      { Name: 'a', IP: '192.0.2.11' },
      { Name: 'b', IP: '192.0.2.12' },
      { Name: 'c', IP: '192.0.2.13' },
    ]);
  });

  it('creates on each host only its own endpoints', async () => {
    const { stdout } = await mustRun('ip', ['netns', 'list']);
    expect(stdout).toContain(ns('a', 'web'));
    expect(stdout).not.toContain(ns('b', 'web'));
    expect(stdout).not.toContain(ns('a', 'api'));
  });

  it('lets endpoints on different hosts reach each other by address, on each overlay they share', async () => {
    const api = await addrOf('b', 'api', 'eth1'); // eth0 is back, eth1 front
    expect(api).toMatch(/^10\.40\.0\./);
    expect(await ping(ns('a', 'web'), api, { tries: 3 })).toBe(true);
    expect(await ping(ns('a', 'job'), await addrOf('c', 'db'), { tries: 3 })).toBe(true);
    expect(await ping(ns('c', 'db'), await addrOf('b', 'api', 'eth0'), { tries: 3 })).toBe(true);
    // Overlays stay apart: web is not on back.
    expect(await ping(ns('a', 'web'), await addrOf('c', 'db'))).toBe(false);
  });

  it('lets endpoints on different hosts find each other by name, on the overlays they share only', async () => {
    const api = await addrOf('b', 'api', 'eth1');
    expect(await lookup(ns('a', 'web'), ['api'])).toEqual([api]);
    expect(await lookup(ns('a', 'job'), ['db'])).toEqual([await addrOf('c', 'db')]);
    expect(await lookup(ns('c', 'db'), ['job'])).toEqual([await addrOf('a', 'job')]);
    // Reverse lookups name the endpoint and its network, as Docker's do.
    expect(await lookup(ns('a', 'web'), ['-x', api])).toEqual(['api.front.']);
    // web shares no network with db: its name stays unknown there.
    expect(await lookup(ns('a', 'web'), ['db'])).toEqual([]);
    expect(await ping(ns('a', 'web'), 'api', { tries: 3 })).toBe(true);
  });

  it('reports overlay entries deleted by hand as drift and puts them back', async () => {
    const api = await addrOf('b', 'api', 'eth1');
    const apiMac = (await mustRun('ip', ['-n', ns('b', 'api'), '-j', 'link', 'show', 'eth1'])).stdout.match(/"address":"([0-9a-f:]+)"/)?.[1] ?? '';
    const entries = await fdb('a');
    const vx = new RegExp(`^${apiMac} dev (wsvx[0-9a-f]+) dst 192\\.0\\.2\\.12`, 'm').exec(entries)?.[1] ?? '';
    expect(vx, `${apiMac} in\n${entries}`).not.toBe('');
    await mustRun('ip', ['netns', 'exec', hostNs('a').name, 'bridge', 'fdb', 'del', apiMac, 'dev', vx, 'dst', '192.0.2.12']);
    await mustRun('ip', ['-n', hostNs('a').name, 'neigh', 'del', api, 'dev', vx]);
    const d = await cli('a', 'drift', '-o', 'json');
    expect(d.code).toBe(2);
    const items = (JSON.parse(d.stdout) as { items: { kind: string; status: string }[] }).items.map((i) => `${i.status} ${i.kind}`).sort();
    expect(items).toEqual(['missing fdb', 'missing neighbour']);
    await reconcileAll(['a']);
    expect(await fdb('a')).toContain(`${apiMac} dev ${vx} dst 192.0.2.12`);
    expect(await ping(ns('a', 'web'), api, { tries: 3 })).toBe(true);
    expect((await cli('a', 'drift')).code).toBe(0);
  });

  it('lets a non-internal overlay out through the gateway bridge, and an internal one nowhere', async () => {
    expect((await mustRun('ip', ['-n', ns('a', 'web'), 'route', 'show', 'default'])).stdout).toMatch(/^default via \S+ dev eth1/);
    expect(await ping(ns('a', 'web'), outside.far, { tries: 3 })).toBe(true);
    expect((await mustRun('ip', ['-n', ns('a', 'job'), 'route', 'show', 'default'])).stdout.trim()).toBe('');
    expect(await ping(ns('a', 'job'), outside.far)).toBe(false);
    expect(await ping(outside.name, await addrOf('a', 'job'))).toBe(false);
  });

  it("publishes an overlay endpoint's ports on its own host through the gateway bridge", async () => {
    const server = await tcpServer(ns('a', 'web'), 80);
    try {
      expect(await tcpConnect(outside.name, outside.hostAddr, 8080, { data: 'hello\n' })).toBe(true);
      expect(server.received()).toContain('hello');
    } finally {
      await server();
    }
  });

  it('takes in an endpoint added on one host on the others at their next pass, and drops it when it goes', async () => {
    writeSpec(spec({ endpoints: '  db: { host: c, networks: [back] }\n  web2: { host: a, networks: [front] }' }));
    await reconcileAll(['a']);
    const web2 = await addrOf('a', 'web2');
    const mac = (await mustRun('ip', ['-n', ns('a', 'web2'), '-j', 'link', 'show', 'eth0'])).stdout.match(/"address":"([0-9a-f:]+)"/)?.[1] ?? '';
    expect(await ping(ns('b', 'api'), web2)).toBe(false);
    // On its own host, the overlay's names are answered at once.
    expect(await lookup(ns('a', 'web'), ['web2'])).toEqual([web2]);
    // Host b's kernel side of it: one forwarding entry and one neighbour, nothing else.
    const kernelChanges = async (h: string) =>
      (JSON.parse((await cli(h, 'plan', '-o', 'json')).stdout) as { changes: { action: string; kind: string }[] }).changes
        .filter((c) => c.kind !== 'file' && c.kind !== 'service')
        .map((c) => `${c.action} ${c.kind}`)
        .sort();
    expect(await kernelChanges('b')).toEqual(['create fdb', 'create neighbour']);
    // c runs nothing on front: it has no part in it.
    expect(await kernelChanges('c')).toEqual([]);
    await reconcileAll(['b']);
    expect(await ping(ns('b', 'api'), web2, { tries: 3 })).toBe(true);
    expect(await lookup(ns('b', 'api'), ['web2'])).toEqual([web2]);
    expect(await fdb('b')).toContain(`${mac} dev wsvx`);

    writeSpec(spec());
    await reconcileAll(['a', 'b']);
    // The tunnel's own entry is gone (the bridge may still remember where it last saw the MAC, until that ages out).
    expect(await fdb('b')).not.toMatch(new RegExp(`${mac} dev wsvx\\w+ dst`));
    expect((await mustRun('ip', ['-n', hostNs('b').name, 'neigh', 'show', 'nud', 'permanent'])).stdout).not.toContain(web2);
    expect(await lookup(ns('b', 'api'), ['web2'])).toEqual([]);
  });

  it('removes a host that leaves the spec from every other host, and refuses --host naming it', async () => {
    const db = await addrOf('c', 'db');
    writeSpec(spec({ hosts: '', endpoints: '' }));
    await reconcileAll(['a', 'b']);
    for (const h of ['a', 'b']) {
      expect(await fdb(h)).not.toContain('dst 192.0.2.13');
      expect((await mustRun('ip', ['-n', hostNs(h).name, 'neigh', 'show', 'nud', 'permanent'])).stdout).not.toContain(db);
    }
    const r = await cli('c', 'plan');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--host: "c" is not declared under hosts: (a, b)');
    writeSpec(spec());
    await reconcileAll();
  });

  it('says which host address is missing when --host names another machine', async () => {
    // Host b's namespace does not hold a's address.
    const r = await runCli(['plan', '--netns', hostNs('b').name, '--host', 'a', '--state-dir', hostNs('b').stateDir, dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hosts.a.address: 192.0.2.11 is not an address of this host, so overlay tunnels cannot start there (--host a)');
  });

  it('refuses a key file that holds no usable key, naming the line but never its content', async () => {
    writeFileSync(join(hostNs('a').dir, 'bad.key'), `${'5e'.repeat(32)}\nnot-a-key\n`);
    writeSpec(spec({ networks: `  sec: { driver: overlay, subnet: 10.42.0.0/24, vni: ${SEC_VNI}, encrypted: true, keyFile: ../bad.key }`, endpoints: '  db: { host: c, networks: [back] }\n  s1: { host: a, networks: [sec] }' }));
    const r = await cli('a', 'plan');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`networks.sec.keyFile: ${join(hostNs('a').dir, 'bad.key')} line 2 is not a hex key of 32 bytes or more`);
    expect(r.stderr).not.toContain('5e5e');
    writeSpec(spec({ networks: `  sec: { driver: overlay, subnet: 10.42.0.0/24, vni: ${SEC_VNI}, encrypted: true, keyFile: ../missing.key }`, endpoints: '  db: { host: c, networks: [back] }\n  s1: { host: a, networks: [sec] }' }));
    const missing = await cli('a', 'plan');
    expect(missing.stderr).toContain(`networks.sec.keyFile: cannot read ${join(hostNs('a').dir, 'missing.key')}: no such file`);
    writeSpec(spec());
  });

  describe('an encrypted overlay', () => {
    const esp = espSupported();
    const secSpec = spec({
      networks: `  sec: { driver: overlay, subnet: 10.42.0.0/24, vni: ${SEC_VNI}, encrypted: true, keyFile: ../sec.key }`,
      endpoints: '  db: { host: c, networks: [back] }\n  s1: { host: a, networks: [sec] }\n  s2: { host: b, networks: [sec] }',
    });
    /** Underlay packets of the encrypted network in clear: VXLAN with its VNI. */
    const clear = (lines: string[]) => lines.filter((l) => new RegExp(`vni ${SEC_VNI}\\b`).test(l));

    beforeAll(() => writeSpec(secSpec));
    afterAll(async () => {
      writeSpec(spec());
      for (const h of ['a', 'b']) await cli(h, 'reconcile');
    });

    it.runIf(esp)('carries its traffic between hosts in ESP only, while another overlay stays in clear', async () => {
      await reconcileAll(['a', 'b']);
      const s2 = await addrOf('b', 's2');
      const cap = await capture(underlay.name, 'br0', ['udp port 4789 or esp']);
      let lines: string[] = [];
      try {
        expect(await ping(ns('a', 's1'), s2, { tries: 3 })).toBe(true);
        expect(await ping(ns('a', 'web'), await addrOf('b', 'api', 'eth1'), { tries: 3 })).toBe(true);
      } finally {
        lines = await cap.stop();
      }
      expect(lines.some((l) => /ESP\(spi=/.test(l))).toBe(true);
      expect(clear(lines)).toEqual([]);
      expect(lines.some((l) => /VXLAN.*vni \d+/.test(l))).toBe(true); // front, unencrypted
      expect((await mustRun('ip', ['-n', hostNs('a').name, 'link', 'show', 'wsvx001389'])).stdout).toContain('mtu 1412');
    });

    it.skipIf(esp)('fails closed on a kernel without ESP: the apply says why and nothing of it leaves in clear', async () => {
      const r = await cli('a', 'reconcile');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('this kernel cannot do IPsec ESP with AES-GCM: it needs CONFIG_INET_ESP and CONFIG_CRYPTO_GCM');
      expect(r.stderr).toMatch(/create fdb \S+ dev wsvx001389 in @host: not made: the IPsec of this network failed above/);
      await cli('b', 'reconcile');
      // Even with the forwarding entries made by hand, the policy holds the packets back.
      const s2 = await addrOf('b', 's2');
      const s2mac = (await mustRun('ip', ['-n', ns('b', 's2'), '-j', 'link', 'show', 'eth0'])).stdout.match(/"address":"([0-9a-f:]+)"/)?.[1] ?? '';
      await mustRun('ip', ['netns', 'exec', hostNs('a').name, 'bridge', 'fdb', 'append', s2mac, 'dev', 'wsvx001389', 'dst', '192.0.2.12', 'self', 'permanent']);
      await mustRun('ip', ['-n', hostNs('a').name, 'neigh', 'replace', s2, 'lladdr', s2mac, 'dev', 'wsvx001389', 'nud', 'permanent']);
      const cap = await capture(underlay.name, 'br0', ['udp port 4789 or esp']);
      let lines: string[] = [];
      try {
        expect(await ping(ns('a', 's1'), s2, { tries: 2 })).toBe(false);
        expect(await ping(ns('a', 'web'), await addrOf('b', 'api', 'eth1'), { tries: 3 })).toBe(true);
      } finally {
        lines = await cap.stop();
      }
      expect(clear(lines)).toEqual([]);
      expect(lines.some((l) => /VXLAN.*vni \d+/.test(l)), lines.join('\n')).toBe(true);
    });

    it('refuses its tunnel traffic when it arrives unencrypted', async () => {
      // Whatever came of the IPsec above, host b's firewall drops the network's VXLAN in clear.
      await cli('b', 'reconcile');
      const drops = async () => Number(/^\s*(\d+)/m.exec((await inNs(hostNs('b').name, 'iptables', ['-nvx', '-L', 'WIRESTATE-INPUT'])).stdout.split('\n')[2] ?? '')?.[1] ?? NaN);
      const before = await drops();
      // A machine on the underlay that sends the network's traffic without IPsec.
      const s2 = await addrOf('b', 's2');
      const s2mac = (await mustRun('ip', ['-n', ns('b', 's2'), '-j', 'link', 'show', 'eth0'])).stdout.match(/"address":"([0-9a-f:]+)"/)?.[1] ?? '';
      await mustRun('ip', ['-n', underlay.name, '-batch', '-'], {
        input: [
          'addr add 192.0.2.99/24 dev br0',
          `link add evil type vxlan id ${SEC_VNI} dstport 4789 local 192.0.2.99 nolearning`,
          'addr add 10.42.0.250/24 dev evil',
          'link set evil up',
          `neigh replace ${s2} lladdr ${s2mac} dev evil nud permanent`,
          '',
        ].join('\n'),
      });
      await mustRun('ip', ['netns', 'exec', underlay.name, 'bridge', 'fdb', 'append', s2mac, 'dev', 'evil', 'dst', '192.0.2.12', 'self', 'permanent']);
      const cap = await capture(ns('b', 's2'), 'eth0', ['icmp']);
      let seen: string[] = [];
      try {
        expect(await ping(underlay.name, s2)).toBe(false);
      } finally {
        seen = await cap.stop();
      }
      expect(seen).toEqual([]);
      expect(await drops()).toBeGreaterThan(before);
    });
  });

  it("takes one host down to nothing of wirestate's, while the others keep talking", async () => {
    const r = await cli('c', 'down');
    expect(r.code, r.stderr).toBe(0);
    const c = hostNs('c').name;
    const links = JSON.parse((await mustRun('ip', ['-n', c, '-j', 'link', 'show'])).stdout) as { ifname: string }[];
    expect(links.map((l) => l.ifname).filter((n) => /^ws/.test(n))).toEqual([]);
    // Only the user's chain stays, as DOCKER-USER does: it may hold the user's own rules.
    const rules = (await inNs(c, 'iptables-save', [])).stdout;
    expect(rules.split('\n').filter((l) => l.includes('WIRESTATE'))).toEqual([':WIRESTATE-USER - [0:0]']);
    expect((await mustRun('ip', ['-n', c, 'neigh', 'show', 'nud', 'permanent'])).stdout.trim()).toBe('');
    expect((await mustRun('ip', ['netns', 'list'])).stdout).not.toContain(`${c}-`);
    expect(await ping(ns('a', 'web'), await addrOf('b', 'api', 'eth1'), { tries: 3 })).toBe(true);
  });
});
