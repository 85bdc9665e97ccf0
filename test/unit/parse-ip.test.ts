// Parsing real `ip -j -d -batch -` output (link show, addr show, route show table main),
// captured from throwaway namespaces on iproute2 6.1.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  endpointFromLinks,
  endpointParent,
  hasOwnerMark,
  linkNames,
  ownedNetnsEndpoint,
  parseNamespace,
  splitBatchJson,
  type IpAddrJson,
  type IpLinkJson,
  type IpRouteJson,
} from '../../src/observe/parse-ip.js';

function fixture(name: string): [IpLinkJson[], IpAddrJson[], IpRouteJson[]] {
  const [links, addrs, routes] = splitBatchJson(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'), 3);
  return [links as IpLinkJson[], addrs as IpAddrJson[], routes as IpRouteJson[]];
}

describe('splitBatchJson', () => {
  it('wants one array per command', () => {
    expect(splitBatchJson('[]\n[{"a":1}]\n', 2)).toEqual([[], [{ a: 1 }]]);
    expect(() => splitBatchJson('[]\n', 2)).toThrow(/expected 2 JSON arrays/);
  });
});

describe('host namespace', () => {
  const [links, addrs, routes] = fixture('ip-host.jsonl');
  const p = parseNamespace(links, addrs, routes, hasOwnerMark);

  it('takes only the links with the ownership alias, with the model fields', () => {
    expect(p.links).toEqual({
      'wst-br': { name: 'wst-br', kind: 'bridge', alias: 'wirestate network n1', mtu: 1500, mac: '3a:34:ac:fe:55:f7', up: true, ipv6: false },
      wsa: { name: 'wsa', kind: 'veth', alias: 'wirestate endpoint e1 network n1', mtu: 1500, mac: '7e:86:7f:e8:7e:60', master: 'wst-br', hairpin: false, up: true, ipv6: false },
      wsb: { name: 'wsb', kind: 'veth', alias: 'wirestate endpoint f1 network n1', mtu: 1500, mac: '3a:34:ac:fe:55:f7', master: 'wst-br', hairpin: false, up: true, ipv6: true },
    });
    expect(p.foreignLinks).toEqual(['lo', 'fx1', 'fx0']);
  });

  it('keeps IPv4 addresses of owned links only', () => {
    expect(p.addresses).toEqual({ '10.77.0.1/24 dev wst-br': { dev: 'wst-br', cidr: '10.77.0.1/24' } });
  });

  it('keeps non-kernel routes on owned links, host routes with /32', () => {
    expect(p.routes).toEqual({
      '10.78.0.0/24 dev wst-br': { dst: '10.78.0.0/24', dev: 'wst-br', via: '10.77.0.2' },
      '198.51.100.7/32 dev wst-br': { dst: '198.51.100.7/32', dev: 'wst-br' },
    });
  });

  it('reports every other route destination as foreign, connected and device-less ones included', () => {
    expect(p.foreignRoutes).toEqual(['192.0.2.0/24', '203.0.113.0/24']);
  });
});

describe('a namespace wirestate created', () => {
  const [links, addrs, routes] = fixture('ip-created-netns.jsonl');

  it('is recognised by the alias of its lo', () => {
    expect(ownedNetnsEndpoint(links)).toBe('e1');
  });

  it('owns every link, lo without a MAC, and the default route', () => {
    const p = parseNamespace(links, addrs, routes, () => true);
    expect(p.links).toEqual({
      lo: { name: 'lo', kind: 'loopback', alias: 'wirestate netns e1', mtu: 65536, up: true, ipv6: true },
      eth0: { name: 'eth0', kind: 'veth', alias: 'wirestate endpoint e1 network n1', mtu: 1500, mac: '02:42:0a:4d:00:02', up: true, ipv6: false },
    });
    expect(p.addresses).toEqual({ '10.77.0.2/24 dev eth0': { dev: 'eth0', cidr: '10.77.0.2/24' } });
    expect(p.routes).toEqual({ 'default dev eth0': { dst: 'default', dev: 'eth0', via: '10.77.0.1' } });
  });
});

describe('a namespace someone else created', () => {
  const [links, addrs, routes] = fixture('ip-foreign-netns.jsonl');

  it('is not owned; only the marked link is observed and names the endpoint', () => {
    expect(ownedNetnsEndpoint(links)).toBeUndefined();
    const p = parseNamespace(links, addrs, routes, hasOwnerMark);
    expect(Object.keys(p.links)).toEqual(['eth1']);
    expect(endpointFromLinks(Object.values(p.links))).toBe('f1');
    expect(p.addresses).toEqual({ '10.77.0.3/24 dev eth1': { dev: 'eth1', cidr: '10.77.0.3/24' } });
    expect(p.routes).toEqual({ '10.80.0.0/16 dev eth1': { dst: '10.80.0.0/16', dev: 'eth1', via: '10.77.0.1' } });
  });
});

it('skips link kinds the model has no place for', () => {
  const tunl: IpLinkJson = { ifname: 'tunl0', flags: [], mtu: 1480, link_type: 'ipip', linkinfo: { info_kind: 'ipip' } };
  expect(parseNamespace([tunl], [], [], () => true).links).toEqual({});
});

describe("an endpoint's macvlan: its parent is a host link, seen from another namespace", () => {
  const hostLinks = new Map([
    [2, 'lan0'],
    [3, 'lan1'],
  ]);
  const macvlan = (extra: Partial<IpLinkJson>): IpLinkJson => ({ ifindex: 2, ifname: 'eth0', flags: ['UP'], link_type: 'ether', linkinfo: { info_kind: 'macvlan', info_data: { mode: 'bridge' } }, ...extra });
  const parentOf = (l: IpLinkJson, hostNsid?: number) => parseNamespace([l], [], [], () => true, endpointParent(hostNsid, hostLinks)).links.eth0.parent;

  it('is named from the host links when link_netnsid is the host', () => {
    expect(parentOf(macvlan({ link_index: 3, link_netnsid: 0 }), 0)).toBe('lan1');
    // A kernel that omits IFLA_LINK when the parent's ifindex equals the macvlan's own.
    expect(parentOf(macvlan({ link_netnsid: 0 }), 0)).toBe('lan0');
  });

  it('never passes for a host link when it sits anywhere else', () => {
    expect(parentOf(macvlan({ link_index: 3, link_netnsid: 1 }), 0)).toBe('ifindex 3 in netnsid 1');
    // The host has no id there at all: nothing there sits on it.
    expect(parentOf(macvlan({ link_index: 3, link_netnsid: 0 }))).toBe('ifindex 3 in netnsid 0');
    expect(parentOf(macvlan({ link: 'lan1' }), 0)).toBe('lan1 in the endpoint namespace');
  });

  it('is the lower link in the host namespace itself', () => {
    const vlan: IpLinkJson = { ifname: 'lan0.10', flags: [], link_type: 'ether', link: 'lan0', linkinfo: { info_kind: 'vlan', info_data: { id: 10 } } };
    expect(parseNamespace([vlan], [], [], () => true).links['lan0.10'].parent).toBe('lan0');
  });
});

it('maps ifindex to name for a dump', () => {
  expect(linkNames([{ ifindex: 1, ifname: 'lo' }, { ifname: 'x' }, { ifindex: 7, ifname: 'lan0' }])).toEqual(new Map([[1, 'lo'], [7, 'lan0']]));
});
