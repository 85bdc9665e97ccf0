import { describe, expect, it } from 'vitest';
import { isAlreadyGone, renderIpChange, type IpChange } from '../../src/apply/render-ip.js';
import type { Link } from '../../src/model/state.js';

const netnsOf = (key: string): string => (key === '@host' ? 'wst-1-h' : key);
const link = (action: 'create' | 'update' | 'delete', desired?: Link, observed?: Link, replace?: boolean): IpChange => ({
  action,
  kind: 'link',
  namespace: '@host',
  name: (desired ?? observed)?.name ?? '',
  ...(desired ? { desired } : {}),
  ...(observed ? { observed } : {}),
  ...(replace ? { replace } : {}),
});

describe('link create', () => {
  it('bridge: add, attributes (IPv6 off before up), up', () => {
    const br: Link = { name: 'wst-br', kind: 'bridge', alias: 'wirestate network n1', mtu: 1500, up: true, ipv6: false };
    expect(renderIpChange(link('create', br), netnsOf)).toEqual([
      'link add wst-br type bridge',
      'link set wst-br mtu 1500 alias "wirestate network n1" addrgenmode none',
      'link set wst-br up',
    ]);
  });

  it('veth with a peer: the pair is made here and the far end put in its namespace', () => {
    const v: Link = { name: 'wsa', kind: 'veth', master: 'wst-br', alias: 'wirestate endpoint e1 network n1', up: true, peer: { netns: 'wst-1-e1', name: 'eth0' } };
    expect(renderIpChange(link('create', v), netnsOf)).toEqual([
      'link add wsa type veth peer name eth0 netns wst-1-e1',
      'link set wsa master wst-br alias "wirestate endpoint e1 network n1"',
      'link set wsa up',
    ]);
  });

  it('veth without a peer: the far end, which exists already', () => {
    const v: Link = { name: 'eth0', kind: 'veth', mac: '02:42:0a:4d:00:02', mtu: 1400, alias: 'wirestate endpoint e1 network n1', up: true, ipv6: false };
    expect(renderIpChange(link('create', v), netnsOf)).toEqual([
      'link set eth0 address 02:42:0a:4d:00:02 mtu 1400 alias "wirestate endpoint e1 network n1" addrgenmode none',
      'link set eth0 up',
    ]);
  });

  it('loopback: alias and up', () => {
    expect(renderIpChange(link('create', { name: 'lo', kind: 'loopback', alias: 'wirestate netns e1', up: true }), netnsOf)).toEqual([
      'link set lo alias "wirestate netns e1"',
      'link set lo up',
    ]);
  });

  it('a host-side peer namespace is the host netns', () => {
    const v: Link = { name: 'x0', kind: 'veth', up: false, peer: { netns: '@host', name: 'x1' } };
    expect(renderIpChange(link('create', v), netnsOf)).toEqual(['link add x0 type veth peer name x1 netns wst-1-h']);
  });
});

describe('link update and delete', () => {
  const was: Link = { name: 'wsa', kind: 'veth', alias: 'wirestate endpoint e1 network n1', mtu: 1500, mac: '7e:86:7f:e8:7e:60', master: 'wst-br', up: true, ipv6: true };

  it('sets only what differs, then up/down', () => {
    expect(renderIpChange(link('update', { ...was, mtu: 1400, ipv6: false, up: false }, was), netnsOf)).toEqual([
      'link set wsa mtu 1400 addrgenmode none',
      'link set wsa down',
    ]);
    expect(renderIpChange(link('update', { ...was, master: 'wst-br2', ipv6: true }, { ...was, ipv6: false }), netnsOf)).toEqual([
      'link set wsa master wst-br2 addrgenmode eui64',
    ]);
  });

  it('ignores fields the desired link leaves unset', () => {
    const { mac: _mac, mtu: _mtu, master: _master, ...loose } = was;
    expect(renderIpChange(link('update', loose, { ...was, mtu: 9000, mac: '02:00:00:00:00:01', master: 'other' }), netnsOf)).toEqual([]);
  });

  it('replace: delete, then create', () => {
    const br: Link = { name: 'wsa', kind: 'bridge', up: true };
    expect(renderIpChange(link('update', br, was, true), netnsOf)).toEqual(['link del wsa', 'link add wsa type bridge', 'link set wsa up']);
  });

  it('delete', () => {
    expect(renderIpChange(link('delete', undefined, was), netnsOf)).toEqual(['link del wsa']);
  });
});

describe('addresses and routes', () => {
  const a = { dev: 'wst-br', cidr: '10.77.0.1/24' };
  const r = { dst: 'default', dev: 'eth0', via: '10.77.0.1' };
  it('renders add/del and replace', () => {
    expect(renderIpChange({ action: 'create', kind: 'address', namespace: '@host', name: 'x', desired: a }, netnsOf)).toEqual(['addr add 10.77.0.1/24 dev wst-br']);
    expect(renderIpChange({ action: 'delete', kind: 'address', namespace: '@host', name: 'x', observed: a }, netnsOf)).toEqual(['addr del 10.77.0.1/24 dev wst-br']);
    expect(renderIpChange({ action: 'create', kind: 'route', namespace: 'e', name: 'x', desired: r }, netnsOf)).toEqual(['route replace default via 10.77.0.1 dev eth0']);
    expect(renderIpChange({ action: 'update', kind: 'route', namespace: 'e', name: 'x', desired: { dst: '10.8.0.0/16', dev: 'eth0' } }, netnsOf)).toEqual([
      'route replace 10.8.0.0/16 dev eth0',
    ]);
    expect(renderIpChange({ action: 'delete', kind: 'route', namespace: 'e', name: 'x', observed: r }, netnsOf)).toEqual(['route del default dev eth0']);
  });
});

describe('values ip would choke on are rejected per change, before the batch', () => {
  it.each([
    ['interface name', { name: 'a-name-longer-than-15', kind: 'bridge', up: true } as Link],
    ['alias', { name: 'br', kind: 'bridge', up: true, alias: 'has "quotes"' } as Link],
    ['alias', { name: 'br', kind: 'bridge', up: true, alias: 'has # a comment' } as Link],
    ['MAC', { name: 'br', kind: 'bridge', up: true, mac: '02:42' } as Link],
    ['MTU', { name: 'br', kind: 'bridge', up: true, mtu: 1.5 } as Link],
  ])('%s', (what, l) => {
    expect(() => renderIpChange(link('create', l), netnsOf)).toThrow(`invalid ${what}`);
  });

  it('CIDR', () => {
    expect(() => renderIpChange({ action: 'create', kind: 'address', namespace: '@host', name: 'x', desired: { dev: 'br', cidr: '10.1.0.1/33' } }, netnsOf)).toThrow('invalid IPv4 CIDR');
  });
});

it('isAlreadyGone: only delete lines, only "nothing there" errors', () => {
  expect(isAlreadyGone('link del wsa', 'Cannot find device "wsa"')).toBe(true);
  expect(isAlreadyGone('addr del 10.0.0.1/24 dev br', 'Error: ipv4: Address not found.')).toBe(true);
  expect(isAlreadyGone('route del default dev eth0', 'RTNETLINK answers: No such process')).toBe(true);
  expect(isAlreadyGone('addr add 10.0.0.1/24 dev br', 'Cannot find device "br"')).toBe(false);
  expect(isAlreadyGone('link del br', 'RTNETLINK answers: Operation not permitted')).toBe(false);
});
