// compile for overlay networks on one host of three: what each host programs, and that the hosts
// agree with each other without talking.
import { describe, expect, it } from 'vitest';
import { parseRecords } from '../../src/dns/records.js';
import { HOST_NS, type HostState } from '../../src/model/state.js';
import { keyDigest, saKey } from '../../src/net/esp.js';
import { type CompileContext, compile } from '../../src/reconcile/compile.js';
import { overlayVnis } from '../../src/reconcile/drivers/overlay.js';
import { overlayMembers } from '../../src/reconcile/overlay-members.js';
import type { KeyFile } from '../../src/spec/keyfile.js';
import type { Spec } from '../../src/spec/types.js';
import { ctx, noFacts } from './fixtures.js';

const HOSTS = { a: { address: '192.0.2.11' }, b: { address: '192.0.2.12' }, c: { address: '192.0.2.13' } };

function overlaySpec(extra: Partial<Spec> = {}): Spec {
  return {
    hosts: HOSTS,
    networks: {
      front: { driver: 'overlay', subnet: '10.40.0.0/24' },
      back: { driver: 'overlay', subnet: '10.41.0.0/24', internal: true, vni: 7000 },
      ...extra.networks,
    },
    endpoints: {
      web: { host: 'a', networks: { front: {} }, ports: ['8080:80'] },
      job: { host: 'a', networks: { back: {} } },
      api: { host: 'b', networks: { front: {}, back: { ipv4: '10.41.0.9' } } },
      db: { host: 'c', networks: { back: {} } },
      ...extra.endpoints,
    },
    settings: { defaultBridge: { enabled: false } },
    sources: {},
  };
}

const KEY1 = '11'.repeat(32);
const KEY2 = '22'.repeat(32);
const keys = (...hex: string[]): Record<string, KeyFile> => ({ sec: { file: '/etc/sec.key', keys: hex.map((h, i) => ({ hex: h, line: i + 1 })) } });

function on(host: keyof typeof HOSTS, spec = overlaySpec(), over: Partial<CompileContext> = {}) {
  const facts = { ...noFacts(), foreignLinks: ['eth0'], addresses: { [HOSTS[host].address]: { dev: 'eth0', mtu: 1500 } } };
  return compile(spec, ctx({ hostNetns: host, hostName: host, facts, ...over }));
}
const hostOf = (s: HostState) => s.namespaces[HOST_NS];

describe('overlay networks: one host', () => {
  const { desired, errors } = on('a');
  const host = hostOf(desired);
  const vnis = overlayVnis(overlaySpec());

  it('compiles without errors, and only this host runs its endpoints', () => {
    expect(errors).toEqual([]);
    expect(Object.keys(desired.namespaces).sort()).toEqual([HOST_NS, 'a-job', 'a-web']);
  });

  it('makes a layer-2 bridge per overlay with one VXLAN port: no learning, ARP answered locally, 50 bytes under the underlay', () => {
    expect(host.links['ws-front']).toEqual({ name: 'ws-front', kind: 'bridge', alias: 'wirestate network front', mtu: 1450, up: true, ipv6: false });
    expect(Object.values(host.addresses).some((a) => a.dev === 'ws-front')).toBe(false);
    const vx = host.links[`wsvx${vnis.front.toString(16).padStart(6, '0')}`];
    expect(vx).toMatchObject({ kind: 'vxlan', master: 'ws-front', mtu: 1450, vxlan: { vni: vnis.front, port: 4789, local: '192.0.2.11', dev: 'eth0', learning: false, proxy: true } });
    expect(host.links.wsvx001b58?.vxlan?.vni).toBe(7000);
  });

  it("programs a neighbour and a forwarding entry for every other host's endpoint of its overlays, and nothing for its own", () => {
    const members = overlayMembers(overlaySpec());
    const api = members.front.find((m) => m.endpoint === 'api')!;
    const db = members.back.find((m) => m.endpoint === 'db')!;
    const vxFront = `wsvx${vnis.front.toString(16).padStart(6, '0')}`;
    expect(Object.values(host.neighbours ?? {}).sort((x, y) => (x.ip < y.ip ? -1 : 1))).toEqual(
      [
        { dev: vxFront, ip: api.ipv4, mac: api.mac },
        { dev: 'wsvx001b58', ip: '10.41.0.9', mac: '02:42:0a:29:00:09' },
        { dev: 'wsvx001b58', ip: db.ipv4, mac: db.mac },
      ].sort((x, y) => (x.ip < y.ip ? -1 : 1)),
    );
    expect(Object.values(host.fdb ?? {}).map((f) => `${f.mac} ${f.dst}`).sort()).toEqual([`${api.mac} 192.0.2.12`, '02:42:0a:29:00:09 192.0.2.12', `${db.mac} 192.0.2.13`].sort());
  });

  it('gives an endpoint whose way out is an overlay the gateway bridge, last, with its default route and ports', () => {
    const web = desired.namespaces['a-web'];
    expect(Object.keys(web.links).sort()).toEqual(['eth0', 'eth1', 'lo']);
    expect(web.links.eth0.alias).toBe('wirestate endpoint web network front');
    expect(web.links.eth1.alias).toBe('wirestate endpoint web network ws_gwbridge');
    expect(Object.values(web.routes)).toEqual([{ dst: 'default', dev: 'eth1', via: '172.17.0.1' }]);
    expect(host.links.ws_gwbridge).toMatchObject({ kind: 'bridge', alias: 'wirestate network ws_gwbridge' });
    const dnat = host.firewall?.tables.nat?.chains['WIRESTATE-DN-web'];
    expect(dnat).toEqual(['-p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80']);
    expect(host.firewall?.tables.filter?.chains['WIRESTATE-FORWARD']).toEqual(expect.arrayContaining(['-i ws_gwbridge -o ws_gwbridge -j DROP', '-i ws-front -o ws-front -j ACCEPT']));
  });

  it('gives an endpoint only on an internal overlay no way out', () => {
    const job = desired.namespaces['a-job'];
    expect(Object.keys(job.links).sort()).toEqual(['eth0', 'lo']);
    expect(job.routes).toEqual({});
  });
});

describe('overlay networks: every host agrees', () => {
  it("gives each endpoint the address its own host gives it in every other host's entries", () => {
    const spec = overlaySpec();
    const addressOn = (h: 'a' | 'b' | 'c') => on(h, spec).allocations.addresses;
    const local = { ...addressOn('a'), ...addressOn('b'), ...addressOn('c') };
    for (const h of ['a', 'b', 'c'] as const) {
      for (const n of Object.values(hostOf(on(h, spec).desired).neighbours ?? {})) {
        const owner = Object.entries(local).find(([, ip]) => ip === n.ip);
        expect(owner, `${h}: ${n.ip}`).toBeDefined();
      }
    }
    expect(local['api/back']).toBe('10.41.0.9');
  });

  it('joins a host to an overlay only when it runs an endpoint on it', () => {
    const c = hostOf(on('c').desired);
    expect(c.links['ws-back']).toBeDefined();
    expect(c.links['ws-front']).toBeUndefined();
    expect(Object.values(c.fdb ?? {}).every((f) => f.dev === 'wsvx001b58')).toBe(true);
  });

  it("grows a host's plan by two entries per remote endpoint, and by nothing else", () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`r${i}`, { host: 'b', networks: { front: {} } }]));
    // In a /16, so that all 200 fit in b's share.
    const { desired } = on('a', overlaySpec({ endpoints: many, networks: { front: { driver: 'overlay', subnet: '10.40.0.0/16' } } } as Partial<Spec>));
    const small = hostOf(on('a', overlaySpec({ networks: { front: { driver: 'overlay', subnet: '10.40.0.0/16' } } } as Partial<Spec>)).desired);
    const big = hostOf(desired);
    expect(Object.keys(desired.namespaces).sort()).toEqual([HOST_NS, 'a-job', 'a-web']);
    expect(Object.keys(big.fdb ?? {}).length - Object.keys(small.fdb ?? {}).length).toBe(200);
    expect(Object.keys(big.neighbours ?? {}).length - Object.keys(small.neighbours ?? {}).length).toBe(200);
    expect(Object.keys(big.links)).toEqual(Object.keys(small.links));
  });
});

describe('names across hosts', () => {
  const recordsOn = (h: 'a' | 'b' | 'c', spec = overlaySpec()) => {
    const host = hostOf(on(h, spec).desired);
    const content = host.files?.[`/run/wirestate/netns-${h}/dns/records`];
    return content === undefined ? undefined : parseRecords(content);
  };

  it("answers every host's endpoints of an overlay this host is on, with the address their own host gives them", () => {
    const spec = overlaySpec({ endpoints: { api: { host: 'b', hostname: 'api-host', networks: { front: { aliases: ['gateway'] }, back: { ipv4: '10.41.0.9' } } } } } as Partial<Spec>);
    const a = recordsOn('a', spec);
    const onB = on('b', spec).allocations.addresses;
    expect(a?.networks.front.names).toMatchObject({ 'api': [onB['api/front']], 'api-host': [onB['api/front']], 'gateway': [onB['api/front']] });
    expect(a?.networks.front.ptr[onB['api/front']]).toBe('api');
    expect(a?.networks.back.names.api).toEqual(['10.41.0.9']);
    expect(a?.networks.back.names.db).toEqual([on('c', spec).allocations.addresses['db/back']]);
  });

  it('leaves out the overlays no local endpoint is on, and those with dns: false', () => {
    expect(Object.keys(recordsOn('c')?.networks ?? {})).toEqual(['back']);
    const quiet = overlaySpec({ networks: { front: { driver: 'overlay', subnet: '10.40.0.0/24', dns: false } } } as Partial<Spec>);
    expect(recordsOn('a', quiet)?.networks.front).toBeUndefined();
  });
});

describe('encrypted overlays', () => {
  const spec = overlaySpec({
    networks: { sec: { driver: 'overlay', subnet: '10.42.0.0/24', vni: 5001, encrypted: true, keyFile: '/etc/sec.key' } },
    endpoints: { s1: { host: 'a', networks: { sec: {} } }, s2: { host: 'b', networks: { sec: {} } } },
  } as Partial<Spec>);
  const a = hostOf(on('a', spec, { keys: keys(KEY1, KEY2) }).desired);
  const b = hostOf(on('b', spec, { keys: keys(KEY1, KEY2) }).desired);

  it('sends with the first key and accepts every key, each SA with a key of its own', () => {
    const aOut = Object.values(a.xfrmStates ?? {}).filter((s) => s.src === '192.0.2.11');
    const aIn = Object.values(a.xfrmStates ?? {}).filter((s) => s.src === '192.0.2.12');
    expect(aOut).toHaveLength(1);
    expect(aIn).toHaveLength(2);
    expect(aOut[0]).toMatchObject({ dst: '192.0.2.12', reqid: 0x57001389, algorithm: 'rfc4106(gcm(aes))', icvBits: 128, keySource: { file: '/etc/sec.key', line: 1 } });
    expect(aOut[0].keyDigest).toBe(keyDigest(saKey(KEY1, 'sec 192.0.2.11>192.0.2.12')));
    expect(new Set([aOut[0], ...aIn].map((s) => s.keyDigest)).size).toBe(3);
  });

  it("makes host a's sending SA exactly one that host b receives with, SPI and key", () => {
    const aOut = Object.values(a.xfrmStates ?? {}).find((s) => s.src === '192.0.2.11')!;
    const bIn = Object.values(b.xfrmStates ?? {}).filter((s) => s.src === '192.0.2.11');
    expect(bIn.map(({ keySource: _, ...s }) => s)).toContainEqual((({ keySource: _, ...s }) => s)(aOut));
  });

  it('rotates: a new first key is a new sending SA, and the old key is still accepted', () => {
    const rotated = hostOf(on('a', spec, { keys: keys(KEY2, KEY1) }).desired);
    const out = Object.values(rotated.xfrmStates ?? {}).filter((s) => s.src === '192.0.2.11');
    expect(out.map((s) => s.keySource?.line)).toEqual([1]);
    expect(out[0].keyDigest).toBe(keyDigest(saKey(KEY2, 'sec 192.0.2.11>192.0.2.12')));
    expect(Object.keys(rotated.xfrmStates ?? {}).filter((k) => !(k in (a.xfrmStates ?? {})))).toHaveLength(1);
  });

  it('marks its tunnel packets for the policy, drops them unencrypted, and lowers the MTU for ESP', () => {
    expect(Object.values(a.xfrmPolicies ?? {})).toEqual([{ src: '192.0.2.11', dst: '192.0.2.12', dport: 4789, mark: 0x57001389, reqid: 0x57001389 }]);
    expect(a.firewall?.tables.mangle).toEqual({
      chains: { 'WIRESTATE-OUTPUT': ['-p udp -m udp --dport 4789 -m u32 --u32 "0x0>>0x16&0x3c@0xc>>0x8=0x1389" -j MARK --set-xmark 0x57001389/0xffffffff'] },
      jumps: { OUTPUT: ['-m comment --comment wirestate -j WIRESTATE-OUTPUT'] },
    });
    expect(a.firewall?.tables.filter?.chains['WIRESTATE-INPUT']).toEqual(['-p udp -m udp --dport 4789 -m policy --dir in --pol none -m u32 --u32 "0x0>>0x16&0x3c@0xc>>0x8=0x1389" -j DROP']);
    expect(a.links['ws-sec'].mtu).toBe(1412);
  });

  it('never carries a key in the desired state', () => {
    const text = JSON.stringify(on('a', spec, { keys: keys(KEY1, KEY2) }));
    expect(text).not.toContain(KEY1);
    expect(text).not.toContain(saKey(KEY1, 'sec 192.0.2.11>192.0.2.12'));
  });

  it('refuses a key file with a problem', () => {
    const { errors } = on('a', spec, { keys: { sec: { file: '/etc/sec.key', problem: '/etc/sec.key line 2 is not a hex key of 32 bytes or more' } } });
    expect(errors).toEqual([{ path: 'networks.sec.keyFile', message: '/etc/sec.key line 2 is not a hex key of 32 bytes or more' }]);
  });
});

describe('host identity', () => {
  it('refuses a --host that hosts: does not declare', () => {
    expect(on('a', overlaySpec(), { hostName: 'z' }).errors).toEqual([{ path: '--host', message: '"z" is not declared under hosts: (a, b, c)' }]);
  });

  it('wants --host when the spec has overlays', () => {
    expect(on('a', overlaySpec(), { hostName: undefined }).errors).toEqual([
      { path: '--host', message: 'overlay networks back, front span hosts: say which entry of hosts: this machine is (a, b, c)' },
    ]);
  });

  it("refuses a host whose underlay address this machine does not have", () => {
    expect(on('a', overlaySpec(), { facts: { ...noFacts(), addresses: {} } }).errors).toEqual([
      { path: 'hosts.a.address', message: '192.0.2.11 is not an address of this host, so overlay tunnels cannot start there (--host a)' },
    ]);
  });
});

describe('overlayVnis', () => {
  it('keeps a VNI the spec sets and derives the others in Docker’s range, stably', () => {
    const spec = overlaySpec();
    const vnis = overlayVnis(spec);
    expect(vnis.back).toBe(7000);
    expect(vnis.front).toBeGreaterThanOrEqual(4096);
    expect(vnis.front).toBeLessThan(2 ** 24);
    const more = overlaySpec({ networks: { other: { driver: 'overlay', subnet: '10.43.0.0/24' } } } as Partial<Spec>);
    expect(overlayVnis(more).front).toBe(vnis.front);
  });

  it('steps past a VNI already taken', () => {
    const spec = overlaySpec();
    const derived = overlayVnis(spec).front;
    const clash = overlaySpec({ networks: { back: { driver: 'overlay', subnet: '10.41.0.0/24', vni: derived } } } as Partial<Spec>);
    expect(overlayVnis(clash).front).toBe(derived + 1);
  });
});
