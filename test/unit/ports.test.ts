import { describe, expect, it } from 'vitest';
import { HOST_NS } from '../../src/model/state.js';
import { compile } from '../../src/reconcile/compile.js';
import { hostVethName } from '../../src/reconcile/names.js';
import { parseExpose, parsePort } from '../../src/spec/ports.js';
import { parseSs } from '../../src/observe/parse-ss.js';
import { ctx, noFacts, spec } from './fixtures.js';

describe('parsePort: every form of Compose ports', () => {
  const ok = (entry: Parameters<typeof parsePort>[0]) => {
    const r = parsePort(entry);
    if (!r.ok) throw new Error(r.error);
    return r.requests;
  };
  it.each([
    ['8080:80', [{ hostPort: 8080, target: 80, protocol: 'tcp' }]],
    ['80', [{ target: 80, protocol: 'tcp' }]],
    [80, [{ target: 80, protocol: 'tcp' }]],
    ['127.0.0.1:8443:443/tcp', [{ hostIp: '127.0.0.1', hostPort: 8443, target: 443, protocol: 'tcp' }]],
    ['127.0.0.1::80', [{ hostIp: '127.0.0.1', target: 80, protocol: 'tcp' }]],
    ['53/udp', [{ target: 53, protocol: 'udp' }]],
    ['9000:9000/sctp', [{ hostPort: 9000, target: 9000, protocol: 'sctp' }]],
    [
      '9000-9002:9000-9002',
      [
        { hostPort: 9000, target: 9000, protocol: 'tcp' },
        { hostPort: 9001, target: 9001, protocol: 'tcp' },
        { hostPort: 9002, target: 9002, protocol: 'tcp' },
      ],
    ],
    ['8000-8010:80', [{ hostRange: [8000, 8010], target: 80, protocol: 'tcp' }]],
    ['7000-7001', [{ target: 7000, protocol: 'tcp' }, { target: 7001, protocol: 'tcp' }]],
    [{ target: 80, published: 8081, protocol: 'udp', hostIp: '10.0.0.1' }, [{ hostIp: '10.0.0.1', hostPort: 8081, target: 80, protocol: 'udp' }]],
    [{ target: 80, published: '8000-8005', allowFrom: ['192.0.2.0/24'] }, [{ hostRange: [8000, 8005], target: 80, protocol: 'tcp', allowFrom: ['192.0.2.0/24'] }]],
  ] as const)('%j', (entry, expected) => {
    expect(ok(entry as Parameters<typeof parsePort>[0])).toEqual(expected);
  });

  it.each([
    ['8080:80/icmp', 'protocol "icmp" is not tcp, udp or sctp'],
    ['70000:80', 'host port 70000 is outside 1–65535'],
    ['8080:0', 'endpoint port 0 is outside 1–65535'],
    ['9002-9000:80', 'host range 9002-9000 ends before it starts'],
    ['9000-9002:80-81', 'host range 9000-9002 and endpoint range 80-81 differ in length'],
    ['9000:80-82', 'host range 9000-9000 and endpoint range 80-82 differ in length'],
    ['a:b:c:d', '"a:b:c:d" is not a port mapping; write [HOST_IP:][HOST_PORT:]PORT[/PROTOCOL]'],
    ['300.0.0.1:80:80', '"300.0.0.1" is not an IPv4 host address'],
    ['[::1]:8080:80', 'host address ::1 is IPv6, and this version has no IPv6 networks to publish to'],
    ['http', '"http" is not an endpoint port or range'],
  ])('%s is refused: %s', (entry, message) => {
    expect(parsePort(entry)).toEqual({ ok: false, error: message });
  });

  it('reads expose entries and refuses mappings there', () => {
    expect(parseExpose('8000-8001/udp')).toEqual({ ok: true, ports: [{ target: 8000, protocol: 'udp' }, { target: 8001, protocol: 'udp' }] });
    expect(parseExpose('80:80')).toEqual({ ok: false, error: '"80:80" is not an exposed port; expose takes PORT[-PORT][/PROTOCOL], publishing is for ports' });
  });
});

describe('parseSs', () => {
  it('reads listeners with their process', () => {
    const out = 'udp UNCONN 0      0        0.0.0.0:5353 0.0.0.0:* users:(("nc",pid=17629,fd=3))\ntcp LISTEN 0      1      127.0.0.1:8080 0.0.0.0:* users:(("nc",pid=17628,fd=3))\ntcp LISTEN 0 4096 [::]:22 [::]:*\n';
    expect(parseSs(out)).toEqual([
      { protocol: 'udp', address: '0.0.0.0', port: 5353, process: 'nc (pid 17629)' },
      { protocol: 'tcp', address: '127.0.0.1', port: 8080, process: 'nc (pid 17628)' },
      { protocol: 'tcp', address: '::', port: 22 },
    ]);
  });
});

const settings = { defaultBridge: { enabled: false } };
const nets = { front: { subnet: '10.30.0.0/24' }, inner: { subnet: '10.31.0.0/24', internal: true } };

describe('compile: published ports', () => {
  const s = spec({
    networks: nets,
    endpoints: {
      web: { networks: { front: {} }, ports: ['8080:80', '127.0.0.1:8443:443', { target: 7000, published: 7000, allowFrom: ['198.51.100.2/32', '192.0.2.0/24'] }] },
      db: { networks: { inner: {} }, ports: ['5432:5432'] },
    },
    settings,
  });

  it('DNATs each port in a chain of the endpoint, accepts it in another, and keeps the user chains first', () => {
    const { desired, warnings } = compile(s, ctx());
    const fw = desired.namespaces[HOST_NS].firewall!;
    expect(fw.tables.nat?.chains['WIRESTATE-DN-web']).toEqual([
      '-p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.30.0.2:80',
      '-d 127.0.0.1/32 -p tcp -m tcp --dport 8443 -j DNAT --to-destination 10.30.0.2:443',
      '-s 198.51.100.2/32 -p tcp -m tcp --dport 7000 -j DNAT --to-destination 10.30.0.2:7000',
      '-s 192.0.2.0/24 -p tcp -m tcp --dport 7000 -j DNAT --to-destination 10.30.0.2:7000',
    ]);
    expect(fw.tables.filter?.chains['WIRESTATE-PF-web']).toEqual([
      '-d 10.30.0.2/32 ! -i ws-front -o ws-front -p tcp -m tcp --dport 80 -j ACCEPT',
      '-d 10.30.0.2/32 ! -i ws-front -o ws-front -p tcp -m tcp --dport 443 -j ACCEPT',
      '-s 198.51.100.2/32 -d 10.30.0.2/32 ! -i ws-front -o ws-front -p tcp -m tcp --dport 7000 -j ACCEPT',
      '-s 192.0.2.0/24 -d 10.30.0.2/32 ! -i ws-front -o ws-front -p tcp -m tcp --dport 7000 -j ACCEPT',
    ]);
    expect(fw.tables.filter?.chains['WIRESTATE-INBOUND']).toEqual(['-d 10.30.0.2/32 -j WIRESTATE-PF-web', '! -i ws-front -o ws-front -j DROP']);
    expect(fw.tables.nat?.jumps).toEqual({
      PREROUTING: ['-m comment --comment wirestate -j WIRESTATE-USER', '-m addrtype --dst-type LOCAL -m comment --comment wirestate -j WIRESTATE-DNAT'],
      OUTPUT: ['-m comment --comment wirestate -j WIRESTATE-USER', '-m addrtype --dst-type LOCAL -m comment --comment wirestate -j WIRESTATE-DNAT'],
      POSTROUTING: ['-m comment --comment wirestate -j WIRESTATE-USER', '-m comment --comment wirestate -j WIRESTATE-POSTROUTING'],
    });
    expect(fw.tables.nat?.chains['WIRESTATE-USER']).toBeNull();
    expect(fw.tables.nat?.chains['WIRESTATE-POSTROUTING']).toEqual([
      '-s 10.30.0.0/24 ! -o ws-front -j MASQUERADE',
      '-s 10.30.0.2/32 -d 10.30.0.2/32 -j MASQUERADE',
      '-o ws-front -m addrtype --src-type LOCAL -j MASQUERADE',
    ]);
    expect(fw.tables.raw?.chains['WIRESTATE-PREROUTING']).toEqual([
      '-d 10.30.0.1/32 -j RETURN',
      '-d 10.30.0.0/24 ! -i ws-front -j DROP',
      '-d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8443 -j DROP',
    ]);
    expect(desired.namespaces[HOST_NS].sysctls).toEqual({
      'net.ipv4.ip_forward': '1',
      'net.bridge.bridge-nf-call-iptables': '1',
      'net.ipv4.conf.ws-front.route_localnet': '1',
    });
    expect(desired.namespaces[HOST_NS].links[hostVethName('web', 'front')].hairpin).toBe(true);
    expect(warnings).toEqual(['endpoints.db.ports: the endpoint has no non-internal bridge network, so nothing is published']);
  });

  it('changing one endpoint\'s ports touches only that endpoint\'s chains', async () => {
    const { plan } = await import('../../src/reconcile/plan.js');
    const two = (webPorts: string[]) =>
      spec({ networks: nets, endpoints: { web: { networks: { front: {} }, ports: webPorts }, api: { networks: { front: {} }, ports: ['9090:90'] } }, settings });
    const before = compile(two(['8080:80']), ctx());
    const after = compile(two(['8080:80', '8081:81']), ctx({}, before.allocations));
    const changes = plan(after.desired, JSON.parse(JSON.stringify(before.desired))).changes;
    expect(changes.map((c) => c.name)).toEqual(['nat/WIRESTATE-DN-web', 'filter/WIRESTATE-PF-web']);
  });

  it('picks random ports from ip_local_port_range, lowest free, and keeps them when others come', () => {
    const one = spec({ networks: nets, endpoints: { b: { networks: { front: {} }, ports: ['80'] } }, settings });
    const first = compile(one, ctx({ portRange: [40000, 40010] }));
    expect(first.allocations.ports).toEqual({ 'b 0.0.0.0:*->80/tcp': 40000 });
    const two = spec({ networks: nets, endpoints: { a: { networks: { front: {} }, ports: ['80', '81'] }, b: { networks: { front: {} }, ports: ['80'] } }, settings });
    const second = compile(two, ctx({ portRange: [40000, 40010] }, first.allocations));
    expect(second.allocations.ports).toEqual({ 'b 0.0.0.0:*->80/tcp': 40000, 'a 0.0.0.0:*->80/tcp': 40001, 'a 0.0.0.0:*->81/tcp': 40002 });
  });

  it('skips ports a process listens on, chooses from a host range, and publishes exposed ports with publishAll', () => {
    const s2 = spec({ networks: nets, endpoints: { a: { networks: { front: {} }, ports: ['8000-8002:80'], expose: [81, '80'], publishAll: true } }, settings });
    const facts = { ...noFacts(), listeners: [{ protocol: 'tcp' as const, address: '0.0.0.0', port: 8000 }, { protocol: 'tcp' as const, address: '127.0.0.1', port: 40000 }] };
    const r = compile(s2, ctx({ facts, portRange: [40000, 40010] }));
    expect(r.allocations.ports).toEqual({ 'a 0.0.0.0:8000-8002->80/tcp': 8001, 'a 0.0.0.0:*->81/tcp': 40001 });
  });

  it('refuses a fixed host port a process already listens on, naming it', () => {
    const s2 = spec({ networks: nets, endpoints: { a: { networks: { front: {} }, ports: ['8080:80'] } }, settings });
    const facts = { ...noFacts(), listeners: [{ protocol: 'tcp' as const, address: '0.0.0.0', port: 8080, process: 'nginx (pid 42)' }] };
    expect(compile(s2, ctx({ facts })).errors).toEqual([{ path: 'endpoints.a.ports', message: 'host port 8080/tcp is already in use on the host by nginx (pid 42) listening on 0.0.0.0' }]);
  });

  it('reports a full host range', () => {
    const s2 = spec({ networks: nets, endpoints: { a: { networks: { front: {} }, ports: ['80', '81'] } }, settings });
    expect(compile(s2, ctx({ portRange: [40000, 40000] })).errors).toEqual([{ path: 'endpoints.a.ports', message: 'no free host port for 81/tcp in 40000-40000' }]);
  });

  it("writes the route_localnet key of a bridge named with a '.' the way sysctl(8) does", () => {
    const s2 = spec({ networks: { front: { subnet: '10.30.0.0/24', bridge: 'br.5' } }, endpoints: { a: { networks: { front: {} }, ports: ['127.0.0.1:8080:80'] } }, settings });
    expect(compile(s2, ctx()).desired.namespaces[HOST_NS].sysctls).toMatchObject({ 'net.ipv4.conf.br/5.route_localnet': '1' });
  });

  it('uses the network\'s hostBindingIPv4 when a port names no address', () => {
    const s2 = spec({ networks: { front: { subnet: '10.30.0.0/24', hostBindingIPv4: '192.0.2.7' } }, endpoints: { a: { networks: { front: {} }, ports: ['8080:80'] } }, settings });
    expect(compile(s2, ctx()).desired.namespaces[HOST_NS].firewall?.tables.nat?.chains['WIRESTATE-DN-a']).toEqual(['-d 192.0.2.7/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.30.0.2:80']);
  });
});
