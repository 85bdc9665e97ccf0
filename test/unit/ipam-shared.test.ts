// Addresses on networks that span hosts: the same on every host, from the spec alone, never the
// same address twice, and steady while endpoints come and go.
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/net/ipv4.js';
import { type SharedRequest, allocateShared } from '../../src/reconcile/ipam.js';

const HOSTS = ['c', 'a', 'b'];
const requests = (perHost: number, hosts = ['a', 'b', 'c']): SharedRequest[] =>
  hosts.flatMap((host) => Array.from({ length: perHost }, (_, i) => ({ key: `${host}${i}/net`, host })));
const shared = (reqs: SharedRequest[], subnet = '10.40.0.0/24', ipRange?: string) => allocateShared(subnet, '10.40.0.1', ipRange, HOSTS, reqs);

describe('allocateShared', () => {
  it('gives each host a share of its own, cut in host-name order, and never one address twice', () => {
    const { addresses, full } = shared(requests(20));
    expect(full).toEqual([]);
    const values = Object.values(addresses);
    expect(new Set(values).size).toBe(values.length);
    // 256 addresses in three shares of 85: a from .0, b from .85, c from .170.
    for (const [key, ip] of Object.entries(addresses)) {
      const last = parseIpv4(ip) - parseIpv4('10.40.0.0');
      const share = { a: [0, 84], b: [85, 169], c: [170, 254] }[key[0] as 'a' | 'b' | 'c'];
      expect(last, `${key} ${ip}`).toBeGreaterThanOrEqual(share[0]);
      expect(last).toBeLessThanOrEqual(share[1]);
    }
  });

  it('hands out neither the gateway, the network and broadcast addresses, nor static addresses', () => {
    const reqs = [...requests(84, ['a']), { key: 'fixed/net', host: 'b', static: '10.40.0.7' }];
    const { addresses, full } = shared(reqs);
    const values = Object.values(addresses);
    expect(values.filter((v) => v === '10.40.0.7')).toEqual(['10.40.0.7']);
    expect(values).not.toContain('10.40.0.0');
    expect(values).not.toContain('10.40.0.1');
    // a's share has 85 addresses, less .0, .1 and .7: 82 fit, 2 do not.
    expect(full.map((f) => f.share)).toEqual(['10.40.0.0–10.40.0.84', '10.40.0.0–10.40.0.84']);
    expect(Object.keys(addresses)).toHaveLength(83);
  });

  it('is a function of the requests, not of their order', () => {
    const reqs = requests(15);
    expect(shared([...reqs].reverse()).addresses).toEqual(shared(reqs).addresses);
  });

  it('never moves an address when another host gains or loses endpoints', () => {
    const before = shared(requests(10)).addresses;
    const after = shared([...requests(10), ...requests(40, ['b']).slice(10)]).addresses;
    for (const [key, ip] of Object.entries(before)) if (!key.startsWith('b')) expect(after[key]).toBe(ip);
  });

  it('keeps addresses while endpoints of the same host come and go', () => {
    // 40 endpoints in a share of 21845 (a /16): one more, and one fewer, moves nobody.
    const base = requests(40, ['a']);
    const before = shared(base, '10.40.0.0/16').addresses;
    for (let i = 0; i < 50; i++) {
      const grown = shared([...base, { key: `new${i}/net`, host: 'a' }], '10.40.0.0/16').addresses;
      for (const [key, ip] of Object.entries(before)) expect(grown[key]).toBe(ip);
    }
    const shrunk = shared(base.slice(1), '10.40.0.0/16').addresses;
    for (const [key, ip] of Object.entries(shrunk)) expect(before[key]).toBe(ip);
  });

  it('cuts ipRange, not the subnet, when there is one', () => {
    const { addresses } = shared(requests(5), '10.40.0.0/24', '10.40.0.128/25');
    for (const ip of Object.values(addresses)) expect(parseIpv4(ip)).toBeGreaterThanOrEqual(parseIpv4('10.40.0.128'));
  });
});
