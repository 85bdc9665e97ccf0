// The overlay's kernel objects through the pure edges: ip/bridge/xfrm output parsed into the model,
// the model diffed and ordered into a plan, and changes rendered into batch lines.
import { describe, expect, it } from 'vitest';
import { renderForwarding, renderXfrm, type XfrmChange } from '../../src/apply/render-forwarding.js';
import { type IpChange, macvlanTempName, renderHostSide, renderIpChange } from '../../src/apply/render-ip.js';
import type { Change } from '../../src/model/plan.js';
import { HOST_NS, type HostState, type Link, type NamespaceState, emptyNamespace } from '../../src/model/state.js';
import { keyDigest } from '../../src/net/esp.js';
import { parseFdb, parseNeighbours } from '../../src/observe/forwarding.js';
import { type IpLinkJson, parseNamespace } from '../../src/observe/parse-ip.js';
import { parseXfrmPolicies, parseXfrmStates } from '../../src/observe/parse-xfrm.js';
import { driftReport } from '../../src/reconcile/drift.js';
import { plan } from '../../src/reconcile/plan.js';

const netnsOf = (key: string): string => (key === HOST_NS ? 'h1' : key);
const KEY = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324';

const VXLAN: Link = {
  name: 'wsvx001389',
  kind: 'vxlan',
  alias: 'wirestate network sec vxlan',
  mtu: 1412,
  master: 'ws-sec',
  up: true,
  ipv6: false,
  vxlan: { vni: 5001, port: 4789, local: '192.0.2.11', dev: 'eth0', learning: false, proxy: true },
};
const MACVLAN: Link = { name: 'eth0', kind: 'macvlan', alias: 'wirestate endpoint m1 network lan', mac: '02:42:0a:4d:00:0b', up: true, ipv6: false, macvlan: { mode: 'private' }, parent: 'lan0' };

describe('observe: parsing', () => {
  it('reads a VXLAN, a VLAN and a macvlan from `ip -j -d link`', () => {
    const links: IpLinkJson[] = [
      {
        ifname: 'wsvx001389',
        flags: ['UP'],
        mtu: 1412,
        master: 'ws-sec',
        ifalias: 'wirestate network sec vxlan',
        link_type: 'ether',
        address: 'c6:78:2d:db:5a:7f',
        linkinfo: { info_kind: 'vxlan', info_data: { id: 5001, local: '192.0.2.11', link: 'eth0', port: 4789, learning: false, proxy: true } },
        inet6_addr_gen_mode: 'none',
      },
      { ifname: 'eth0.10', link: 'eth0', flags: ['UP'], ifalias: 'wirestate network lan parent', link_type: 'ether', linkinfo: { info_kind: 'vlan', info_data: { id: 10 } } },
      { ifname: 'eth1', flags: [], ifalias: 'wirestate endpoint m1 network lan', link_type: 'ether', linkinfo: { info_kind: 'macvlan', info_data: { mode: 'private' } } },
    ];
    const { links: parsed } = parseNamespace(links, [], [], () => true);
    expect(parsed.wsvx001389.vxlan).toEqual(VXLAN.vxlan);
    expect(parsed['eth0.10']).toMatchObject({ kind: 'vlan', vlan: { id: 10 }, parent: 'eth0' });
    // In an endpoint namespace the parent is out of sight: none is reported.
    expect(parsed.eth1).toMatchObject({ kind: 'macvlan', macvlan: { mode: 'private' } });
    expect(parsed.eth1.parent).toBeUndefined();
  });

  it('keeps the permanent neighbours and the tunnel’s own FDB entries of VXLAN links only', () => {
    expect(
      parseNeighbours(
        [
          { dst: '10.42.0.3', dev: 'wsvx001389', lladdr: '02:42:0a:2a:00:03' },
          { dst: '192.0.2.1', dev: 'eth0', lladdr: '02:00:00:00:00:01' },
        ],
        new Set(['wsvx001389']),
      ),
    ).toEqual({ '10.42.0.3 dev wsvx001389': { dev: 'wsvx001389', ip: '10.42.0.3', mac: '02:42:0a:2a:00:03' } });
    expect(
      parseFdb('wsvx001389', [
        { mac: '02:42:0a:2a:00:03', flags: [] },
        { mac: 'c6:78:2d:db:5a:7f', flags: [] },
        { mac: '02:42:0a:2a:00:03', dst: '192.0.2.12', flags: ['self'] },
        { mac: '00:00:00:00:00:00', dst: '192.0.2.13', flags: ['self'] },
      ]),
    ).toEqual({ '02:42:0a:2a:00:03 dev wsvx001389': { dev: 'wsvx001389', mac: '02:42:0a:2a:00:03', dst: '192.0.2.12' } });
  });

  it('reads wirestate’s xfrm states, replacing each key by its digest, and leaves the others alone', () => {
    const text = `src 192.0.2.12 dst 192.0.2.11
\tproto esp spi 0x8f0c76f1 reqid 1459622793 mode transport
\treplay-window 32 
\taead rfc4106(gcm(aes)) 0x${KEY} 128
\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000
\tsel src 0.0.0.0/0 dst 0.0.0.0/0 
src 198.51.100.1 dst 198.51.100.2
\tproto esp spi 0xdeadbeef reqid 256 mode tunnel
\treplay-window 0 flag af-unspec
\taead rfc4106(gcm(aes)) 0x0000000000000000000000000000000000000000 96
`;
    const states = parseXfrmStates(text);
    expect(Object.values(states)).toEqual([
      { src: '192.0.2.12', dst: '192.0.2.11', spi: 0x8f0c76f1, reqid: 0x57001389, algorithm: 'rfc4106(gcm(aes))', icvBits: 128, keyDigest: keyDigest(KEY) },
    ]);
    expect(Object.keys(states)).toEqual(['esp 0x8f0c76f1 192.0.2.12>192.0.2.11']);
    expect(JSON.stringify(states)).not.toContain(KEY.slice(0, 16));
  });

  it('reads wirestate’s outbound xfrm policies by their mark', () => {
    const text = `src 192.0.2.11/32 dst 192.0.2.12/32 proto udp dport 4789 
\tdir out priority 0 ptype main 
\tmark 0x57001389/0xffffffff 
\ttmpl src 192.0.2.11 dst 192.0.2.12
\t\tproto esp reqid 1459622793 mode transport
src 10.0.0.0/8 dst 10.0.0.0/8 
\tdir out priority 383615 ptype main 
\ttmpl src 192.169.101.2 dst 192.169.101.1
\t\tproto esp spi 0xc88b7652 reqid 1 mode tunnel
src 0.0.0.0/0 dst 0.0.0.0/0 
\tsocket in priority 0 ptype main 
`;
    expect(parseXfrmPolicies(text)).toEqual({
      'out 192.0.2.11>192.0.2.12 udp/4789 mark 0x57001389': { src: '192.0.2.11', dst: '192.0.2.12', dport: 4789, mark: 0x57001389, reqid: 0x57001389 },
    });
  });
});

const link = (action: 'create' | 'update' | 'delete', namespace: string, desired?: Link, observed?: Link, replace?: boolean): IpChange => ({
  action,
  kind: 'link',
  namespace,
  name: (desired ?? observed)?.name ?? '',
  ...(desired ? { desired } : {}),
  ...(observed ? { observed } : {}),
  ...(replace ? { replace } : {}),
});

describe('apply: rendering', () => {
  it('makes a VXLAN with its fixed settings, then enslaves and raises it', () => {
    expect(renderIpChange(link('create', HOST_NS, VXLAN), netnsOf)).toEqual([
      'link add wsvx001389 type vxlan id 5001 dstport 4789 local 192.0.2.11 dev eth0 nolearning proxy',
      'link set wsvx001389 mtu 1412 master ws-sec alias "wirestate network sec vxlan" addrgenmode none',
      'link set wsvx001389 up',
    ]);
  });

  it('makes an 802.1Q parent on its lower link', () => {
    const vlan: Link = { name: 'eth0.10', kind: 'vlan', alias: 'wirestate network lan parent', up: true, ipv6: false, vlan: { id: 10 }, parent: 'eth0' };
    expect(renderIpChange(link('create', HOST_NS, vlan), netnsOf)[0]).toBe('link add link eth0 name eth0.10 type vlan id 10');
  });

  it('makes an endpoint’s macvlan from the host under a temporary name, which the endpoint’s batch renames', () => {
    const temp = macvlanTempName('h1-m1', 'eth0');
    expect(temp).toMatch(/^wsm[0-9a-f]{8}$/);
    expect(renderHostSide(link('create', 'h1-m1', MACVLAN), netnsOf)).toEqual([`link add link lan0 name ${temp} netns h1-m1 type macvlan mode private`]);
    expect(renderIpChange(link('create', 'h1-m1', MACVLAN), netnsOf)).toEqual([
      `link set ${temp} name eth0`,
      'link set eth0 address 02:42:0a:4d:00:0b alias "wirestate endpoint m1 network lan" addrgenmode none',
      'link set eth0 up',
    ]);
    // Replaced (a veth that becomes a macvlan): the old link goes first, inside the endpoint.
    const veth: Link = { name: 'eth0', kind: 'veth', up: true };
    expect(renderIpChange(link('update', 'h1-m1', MACVLAN, veth, true), netnsOf).slice(0, 2)).toEqual(['link del eth0', `link set ${temp} name eth0`]);
    expect(renderHostSide(link('update', 'h1-m1', MACVLAN, { ...MACVLAN, macvlan: { mode: 'bridge' } }), netnsOf)).toEqual([]);
  });

  it('changes a macvlan’s mode in place', () => {
    expect(renderIpChange(link('update', 'h1-m1', MACVLAN, { ...MACVLAN, macvlan: { mode: 'bridge' } }), netnsOf)).toEqual(['link set eth0 type macvlan mode private']);
  });

  it('writes neighbours with ip and FDB entries with bridge, deletes that tolerate a gone entry', () => {
    const n = { dev: 'wsvx001389', ip: '10.42.0.3', mac: '02:42:0a:2a:00:03' };
    const f = { dev: 'wsvx001389', mac: '02:42:0a:2a:00:03', dst: '192.0.2.12' };
    expect(renderForwarding({ action: 'create', kind: 'neighbour', namespace: HOST_NS, name: '', desired: n })).toEqual(['neigh replace 10.42.0.3 lladdr 02:42:0a:2a:00:03 dev wsvx001389 nud permanent']);
    expect(renderForwarding({ action: 'delete', kind: 'neighbour', namespace: HOST_NS, name: '', observed: n })).toEqual(['neigh flush to 10.42.0.3 dev wsvx001389 nud permanent']);
    expect(renderForwarding({ action: 'update', kind: 'fdb', namespace: HOST_NS, name: '', desired: f, observed: { ...f, dst: '192.0.2.13' } })).toEqual([
      'fdb replace 02:42:0a:2a:00:03 dev wsvx001389 dst 192.0.2.12 self permanent',
    ]);
    expect(renderForwarding({ action: 'delete', kind: 'fdb', namespace: HOST_NS, name: '', observed: f })).toEqual(['fdb del 02:42:0a:2a:00:03 dev wsvx001389 dst 192.0.2.12 self']);
  });

  it('writes IPsec policies and states, the key only in the state’s line', () => {
    const state = { src: '192.0.2.11', dst: '192.0.2.12', spi: 0x1234, reqid: 0x57001389, algorithm: 'rfc4106(gcm(aes))', icvBits: 128, keyDigest: keyDigest(KEY) };
    const policy = { src: '192.0.2.11', dst: '192.0.2.12', dport: 4789, mark: 0x57001389, reqid: 0x57001389 };
    const key = () => KEY;
    const x = (c: Omit<XfrmChange, 'namespace' | 'name'>) => renderXfrm({ ...c, namespace: HOST_NS, name: '' } as XfrmChange, key);
    expect(x({ action: 'create', kind: 'xfrm-policy', desired: policy })).toEqual([
      'xfrm policy update src 192.0.2.11 dst 192.0.2.12 proto udp dport 4789 dir out mark 0x57001389 mask 0xffffffff tmpl src 192.0.2.11 dst 192.0.2.12 proto esp reqid 0x57001389 mode transport',
    ]);
    expect(x({ action: 'delete', kind: 'xfrm-policy', observed: policy })).toEqual(['xfrm policy del src 192.0.2.11 dst 192.0.2.12 proto udp dport 4789 dir out mark 0x57001389 mask 0xffffffff']);
    expect(x({ action: 'create', kind: 'xfrm-state', desired: state })).toEqual([
      `xfrm state add src 192.0.2.11 dst 192.0.2.12 proto esp spi 0x1234 reqid 0x57001389 mode transport replay-window 32 aead rfc4106(gcm(aes)) 0x${KEY} 128`,
    ]);
    expect(x({ action: 'update', kind: 'xfrm-state', desired: state, observed: state })[0]).toBe('xfrm state del src 192.0.2.11 dst 192.0.2.12 proto esp spi 0x1234');
    expect(() => renderXfrm({ action: 'create', kind: 'xfrm-state', namespace: HOST_NS, name: '', desired: state }, () => 'not hex')).toThrow('invalid key material (not shown)');
  });
});

const hostWith = (fill: Partial<NamespaceState>): HostState => ({ namespaces: { [HOST_NS]: { ...emptyNamespace('h1', false), ...fill } } });
const kinds = (changes: Change[]) => changes.map((c) => `${c.action} ${c.kind} ${c.name}`);

describe('diff and plan', () => {
  const neighbour = { dev: 'wsvx001389', ip: '10.42.0.3', mac: '02:42:0a:2a:00:03' };
  const entry = { dev: 'wsvx001389', mac: '02:42:0a:2a:00:03', dst: '192.0.2.12' };

  it('replaces a VXLAN whose fixed settings differ, and makes its entries again on the new link', () => {
    const desired = hostWith({ links: { [VXLAN.name]: VXLAN }, neighbours: { n: neighbour }, fdb: { f: entry } });
    const observed = hostWith({ links: { [VXLAN.name]: { ...VXLAN, vxlan: { ...VXLAN.vxlan!, learning: true } } }, neighbours: { n: neighbour }, fdb: { f: entry } });
    expect(kinds(plan(desired, observed).changes)).toEqual(['update link wsvx001389', 'create fdb f', 'create neighbour n']);
    expect(plan(desired, observed).changes[0]).toMatchObject({ replace: true });
  });

  it('leaves the entries of a deleted VXLAN to go with it', () => {
    expect(kinds(plan(hostWith({}), hostWith({ links: { [VXLAN.name]: VXLAN }, neighbours: { n: neighbour }, fdb: { f: entry } })).changes)).toEqual(['delete link wsvx001389']);
  });

  it('moves a forwarding entry whose endpoint changed hosts, in place', () => {
    const changes = plan(hostWith({ links: { [VXLAN.name]: VXLAN }, fdb: { f: entry } }), hostWith({ links: { [VXLAN.name]: VXLAN }, fdb: { f: { ...entry, dst: '192.0.2.13' } } })).changes;
    expect(kinds(changes)).toEqual(['update fdb f']);
  });

  it('makes IPsec policies before states, and lets traffic cross hosts last', () => {
    const state = { src: '192.0.2.11', dst: '192.0.2.12', spi: 0x1234, reqid: 0x57001389, algorithm: 'rfc4106(gcm(aes))', icvBits: 128, keyDigest: keyDigest(KEY) };
    const policy = { src: '192.0.2.11', dst: '192.0.2.12', dport: 4789, mark: 0x57001389, reqid: 0x57001389 };
    const desired = hostWith({ links: { [VXLAN.name]: VXLAN }, neighbours: { n: neighbour }, fdb: { f: entry }, xfrmStates: { s: state }, xfrmPolicies: { p: policy } });
    desired.namespaces[HOST_NS].firewall = { tables: { mangle: { chains: { 'WIRESTATE-OUTPUT': ['-j MARK'] }, jumps: {} } } };
    expect(kinds(plan(desired, hostWith({})).changes)).toEqual(['create link wsvx001389', 'create xfrm-policy p', 'create xfrm-state s', 'create chain mangle/WIRESTATE-OUTPUT', 'create fdb f', 'create neighbour n']);
  });

  it('shows a state’s key as a digest in drift, and where it is read from nowhere', () => {
    const state = { src: '192.0.2.11', dst: '192.0.2.12', spi: 0x1234, reqid: 0x57001389, algorithm: 'rfc4106(gcm(aes))', icvBits: 128, keyDigest: keyDigest(KEY), keySource: { file: '/k', line: 1, info: 'i' } };
    const report = driftReport(plan(hostWith({ xfrmStates: { s: state } }), hostWith({})));
    expect(report.items[0].patch).toEqual([{ op: 'add', path: '/namespaces/@host/xfrmStates/s', value: (({ keySource: _, ...s }) => s)(state) }]);
  });

  it('makes an endpoint’s macvlan anew when its parent is made anew', () => {
    const vlan: Link = { name: 'lan0', kind: 'vlan', up: true, vlan: { id: 10 }, parent: 'eth0' };
    const desired: HostState = { namespaces: { [HOST_NS]: { ...emptyNamespace('h1', false), links: { lan0: vlan } }, m1: { ...emptyNamespace('m1', true, 'm1'), links: { eth0: MACVLAN } } } };
    const observed: HostState = { namespaces: { [HOST_NS]: { ...emptyNamespace('h1', false), links: { lan0: { ...vlan, vlan: { id: 20 } } } }, m1: { ...emptyNamespace('m1', true, 'm1'), links: { eth0: { ...MACVLAN, parent: undefined } } } } };
    const changes = plan(desired, observed).changes;
    expect(changes.map((c) => `${c.namespace} ${c.action} ${c.name} ${'replace' in c && c.replace ? 'replace' : ''}`.trim())).toEqual(['@host update lan0 replace', 'm1 update eth0 replace']);
  });
});
