// nsdump.py against ip on a real kernel: the endpoint namespaces it reads in one process must come
// out exactly as `ip -j -d` shows them, field for field where parse-ip.ts reads, and as the same
// NamespaceState. Only throwaway namespaces named after this process; removed in afterAll.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpNamespaces, type NetnsDump } from '../../src/kernel/nsdump.js';
import { HOST_NS } from '../../src/model/state.js';
import { dumpWithIp, endpointState, observe } from '../../src/observe/observe.js';
import { batch, makeHostNs, mustRun, requireRoot, runCli, type HostNs } from './helpers/index.js';

const kernel = requireRoot();

type Json = Record<string, unknown>;
const pick = (o: Json, keys: readonly string[]): Json => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));

// What parse-ip.ts reads (and the identifying fields), from either source.
function view(d: NetnsDump): Json {
  const link = (l: Json): Json => {
    const info = l.linkinfo as Json | undefined;
    const slave = info?.info_slave_data as Json | undefined;
    return {
      ...pick(l, ['ifindex', 'ifname', 'flags', 'mtu', 'address', 'master', 'ifalias', 'link_type', 'inet6_addr_gen_mode', 'link', 'link_index', 'link_netnsid']),
      ...(info ? { linkinfo: { ...pick(info, ['info_kind', 'info_slave_kind']), ...(slave ? { info_slave_data: pick(slave, ['hairpin']) } : {}) } } : {}),
    };
  };
  const addr = (a: Json): Json => ({
    ifname: a.ifname,
    addr_info: (a.addr_info as Json[]).filter((i) => i.family === 'inet').map((i) => pick(i, ['family', 'local', 'prefixlen'])),
  });
  return {
    links: (d.links as Json[]).map(link),
    // dumpWithIp asks for IPv4 only: ip then lists only the links that have an IPv4 address.
    addrs: (d.addrs as Json[]).map(addr).filter((a) => (a.addr_info as Json[]).length > 0),
    routes: (d.routes as Json[]).map((r) => pick(r, ['type', 'dst', 'gateway', 'dev', 'protocol', 'scope'])),
  };
}

describe.skipIf(!kernel)('reading endpoint namespaces with nsdump.py', () => {
  let host: HostNs;
  let a = '';
  let b = '';
  let c = '';
  let bPath = '';
  let missing = '';

  beforeAll(async () => {
    host = await makeHostNs('nsdump');
    [a, b, c, missing] = ['a', 'b', 'c', 'nope'].map((s) => `${host.name}-${s}`) as [string, string, string, string];
    bPath = `/run/netns/${b}`;
    for (const ns of [a, b, c]) await mustRun('ip', ['netns', 'add', ns]);
    await batch(host.name, ['link add wsb-n1 type bridge', 'link set wsb-n1 alias "wirestate network n1"', 'link set wsb-n1 addrgenmode none', 'addr add 10.77.0.1/24 dev wsb-n1', 'link set wsb-n1 up']);
    // a: laid out as wirestate lays out a namespace it created (the lo mark), its veth on the host's bridge.
    await batch(a, [
      'link set lo alias "wirestate netns e1"',
      'link set lo up',
      `link add eth0 mtu 1400 address 02:42:0a:4d:00:02 type veth peer name wsv-e1 netns ${host.name}`,
      'link set eth0 alias "wirestate endpoint e1 network n1"',
      'link set eth0 addrgenmode none',
      'addr add 10.77.0.2/24 dev eth0',
      'link set eth0 up',
      'route add default via 10.77.0.1 dev eth0',
      'route add 10.99.0.0/24 via 10.77.0.1 dev eth0 proto static',
      'route add 10.98.0.7 via 10.77.0.1 dev eth0',
      'route add blackhole 10.97.0.0/16',
    ]);
    await batch(host.name, ['link set wsv-e1 master wsb-n1', 'link set wsv-e1 type bridge_slave hairpin on', 'link set wsv-e1 addrgenmode none', 'link set wsv-e1 up']);
    // b: someone else's namespace (no lo mark, lo down) with a foreign bridge, one owned port on it, a peer address, multipath.
    await batch(b, [
      'link add br-x type bridge',
      'link add vb0 type veth peer name vb1',
      'link set vb0 alias "wirestate endpoint p1 network n1"',
      'link set vb0 master br-x',
      'link set vb0 type bridge_slave hairpin on',
      'addr add 10.88.1.1/24 dev vb0',
      'addr add 10.88.0.2/24 dev vb1',
      'addr add 10.88.0.3/32 peer 10.88.0.9 dev vb1',
      'link set br-x up',
      'link set vb0 up',
      'link set vb1 up',
      'route add default via 10.88.1.254 dev vb0',
      'route add 10.66.0.0/16 nexthop via 10.88.0.253 dev vb1 nexthop via 10.88.0.254 dev vb1',
    ]);
    // c: left as `ip netns add` makes it.
  });
  afterAll(() => host?.cleanup());

  it('prints what ip prints, field for field', async () => {
    const dumps = await dumpNamespaces([a, bPath, c]);
    for (const ns of [a, bPath, c]) {
      const ip = (await dumpWithIp(ns)) as NetnsDump;
      expect(view(dumps.get(ns) as NetnsDump), ns).toEqual(view(ip));
    }
    const aDump = view(dumps.get(a) as NetnsDump);
    expect(aDump.routes).toContainEqual({ type: 'unicast', dst: '10.98.0.7', gateway: '10.77.0.1', dev: 'eth0', protocol: 'boot', scope: 'global' });
  });

  it("says which id a namespace gives the host: the one its links on the host's carry", async () => {
    const withHost = (await dumpNamespaces([a], host.name)).get(a) as NetnsDump;
    const eth0 = (withHost.links as Json[]).find((l) => l.ifname === 'eth0');
    expect(eth0?.link_netnsid).toEqual(expect.any(Number));
    expect(withHost.hostNsid).toBe(eth0?.link_netnsid);
    // Its peer's ifindex on the host.
    const hostLinks = (await dumpWithIp(host.name))?.links as Json[];
    expect(hostLinks.find((l) => l.ifindex === eth0?.link_index)?.ifname).toBe('wsv-e1');
  });

  it('gives observe the same endpoint states as the ip path, skipping a missing namespace', async () => {
    const observed = await observe({ hostNetns: host.name, namespaces: [a, bPath, c, missing], ownedPrefix: '', sysctls: { [HOST_NS]: [] }, firewall: false });
    expect(Object.keys(observed.state.namespaces)).toEqual([HOST_NS, a, bPath, c]);
    for (const ns of [a, bPath, c]) expect(observed.state.namespaces[ns], ns).toEqual(endpointState(ns, (await dumpWithIp(ns)) as NetnsDump, {}));

    const ea = observed.state.namespaces[a];
    expect(ea).toMatchObject({ owned: true, endpoint: 'e1' });
    expect(ea?.links.eth0).toEqual({ name: 'eth0', kind: 'veth', alias: 'wirestate endpoint e1 network n1', mtu: 1400, mac: '02:42:0a:4d:00:02', up: true, ipv6: false });
    expect(Object.keys(ea?.routes ?? {}).sort()).toEqual(['10.98.0.7/32 dev eth0', '10.99.0.0/24 dev eth0', 'default dev eth0']);
    const eb = observed.state.namespaces[bPath];
    expect(eb).toMatchObject({ owned: false, endpoint: 'p1', addresses: { '10.88.1.1/24 dev vb0': { dev: 'vb0', cidr: '10.88.1.1/24' } } });
    expect(eb?.links.vb0).toMatchObject({ kind: 'veth', master: 'br-x', up: true, ipv6: true });
    expect(Object.keys(eb?.links ?? {})).toEqual(['vb0']);
    expect(observed.state.namespaces[c]).toMatchObject({ owned: false, links: {}, addresses: {}, routes: {} });
  });

  it('says why a namespace it cannot read failed, and that a missing one is missing', async () => {
    const notNetns = join(host.dir, 'not-a-netns');
    writeFileSync(notNetns, '');
    const dumps = await dumpNamespaces([missing, notNetns]);
    expect(dumps.get(missing)).toEqual({ error: 'missing' });
    expect(dumps.get(notNetns)).toEqual({ error: 'Invalid argument' });
    await expect(observe({ hostNetns: host.name, namespaces: [notNetns], ownedPrefix: '', sysctls: {}, firewall: false })).rejects.toThrow(
      `cannot read network namespace ${notNetns}: Invalid argument`,
    );
  });

  it('is found next to the bundle: network inspect lists the endpoint it read', async () => {
    const r = await runCli(['network', 'inspect', 'n1', '--netns', host.name, '--state-dir', host.stateDir]);
    expect(r.code, r.stderr).toBe(0);
    const [n1] = JSON.parse(r.stdout) as { Containers: Record<string, { Name: string; IPv4Address: string }> }[];
    expect(Object.values(n1?.Containers ?? {})).toContainEqual(expect.objectContaining({ Name: 'e1', IPv4Address: '10.77.0.2/24' }));
  });
});
