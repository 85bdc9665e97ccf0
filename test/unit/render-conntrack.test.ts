// Which UDP flows apply drops from conntrack after the published ports change.
import { describe, expect, it } from 'vitest';
import { conntrackFlushes } from '../../src/apply/render-conntrack.js';
import type { FirewallChange } from '../../src/apply/render-iptables.js';

const udp = (port: number, target = '10.10.0.2:53', extra = '') => `${extra}-p udp -m udp --dport ${port} -j DNAT --to-destination ${target}`;
const tcp = (port: number) => `-p tcp -m tcp --dport ${port} -j DNAT --to-destination 10.10.0.2:80`;
const chain = (action: 'create' | 'update' | 'delete', name: string, rules: string[] | undefined, previous?: string[]): FirewallChange => ({
  action,
  kind: 'chain',
  namespace: '@host',
  name: `nat/${name}`,
  table: 'nat',
  chain: name,
  ...(rules ? { rules } : {}),
  ...(previous ? { previous } : {}),
  detail: [],
});

describe('conntrackFlushes', () => {
  it('drops the flows of UDP ports published, moved or removed, and of nothing else', () => {
    const lines = conntrackFlushes([
      chain('create', 'WIRESTATE-DN-dns', [udp(5353), tcp(8080)]),
      chain('update', 'WIRESTATE-DN-log', [udp(514, '10.10.0.3:514'), udp(6000)], [udp(514, '10.10.0.3:514'), udp(6001)]),
      chain('update', 'WIRESTATE-DN-game', [udp(7777, '10.10.0.9:7777')], [udp(7777, '10.10.0.4:7777')]),
      chain('delete', 'WIRESTATE-DN-old', undefined, [udp(9999), tcp(9998)]),
    ]);
    expect(lines).toEqual(['-D -p udp --orig-port-dst 5353', '-D -p udp --orig-port-dst 6000', '-D -p udp --orig-port-dst 6001', '-D -p udp --orig-port-dst 7777', '-D -p udp --orig-port-dst 9999']);
  });

  it('reads ports from rules with a source, a host address and an allocation comment', () => {
    const rule = udp(40000, '10.10.0.2:53', '-s 192.0.2.0/24 -d 127.0.0.1/32 ').replace(' -j DNAT', ' -m comment --comment "dns/front/53/udp" -j DNAT');
    expect(conntrackFlushes([chain('create', 'WIRESTATE-DN-dns', [rule])])).toEqual(['-D -p udp --orig-port-dst 40000']);
  });

  it('leaves other chains and tables alone', () => {
    expect(conntrackFlushes([chain('create', 'WIRESTATE-DNAT', [udp(53)]), { ...chain('create', 'WIRESTATE-DN-x', [udp(53)]), table: 'filter' }])).toEqual([]);
  });
});
