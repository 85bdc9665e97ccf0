import { describe, expect, it } from 'vitest';
import { compile } from '../../src/reconcile/compile.js';
import { allocationsFromObserved } from '../../src/reconcile/allocations.js';
import { allocateAddresses } from '../../src/reconcile/ipam.js';
import { ctx, spec } from './fixtures.js';

const net = { n: { subnet: '10.7.0.0/24' } };
const eps = (names: string[]) => Object.fromEntries(names.map((e) => [e, { networks: { n: {} } }]));
const settings = { defaultBridge: { enabled: false } };

describe('IPAM stability', () => {
  it('keeps every address when an endpoint is added that sorts first', () => {
    const first = compile(spec({ networks: net, endpoints: eps(['b', 'c']), settings }), ctx());
    const second = compile(spec({ networks: net, endpoints: eps(['a', 'b', 'c']), settings }), ctx({}, first.allocations));
    expect(first.allocations.addresses).toEqual({ 'b/n': '10.7.0.2', 'c/n': '10.7.0.3' });
    expect(second.allocations.addresses).toEqual({ 'a/n': '10.7.0.4', 'b/n': '10.7.0.2', 'c/n': '10.7.0.3' });
  });

  it('does not renumber the others when one is removed, and reuses the freed address for the next newcomer', () => {
    const first = compile(spec({ networks: net, endpoints: eps(['a', 'b', 'c']), settings }), ctx());
    const second = compile(spec({ networks: net, endpoints: eps(['a', 'c']), settings }), ctx({}, first.allocations));
    expect(second.allocations.addresses).toEqual({ 'a/n': '10.7.0.2', 'c/n': '10.7.0.4' });
    const third = compile(spec({ networks: net, endpoints: eps(['a', 'c', 'd']), settings }), ctx({}, second.allocations));
    expect(third.allocations.addresses['d/n']).toBe('10.7.0.3');
  });

  it('does not depend on the order endpoints are written in', () => {
    const a = compile(spec({ networks: net, endpoints: eps(['x', 'y', 'z']), settings }), ctx());
    const b = compile(spec({ networks: net, endpoints: eps(['z', 'x', 'y']), settings }), ctx());
    expect(b.allocations.addresses).toEqual(a.allocations.addresses);
  });

  it('keeps allocated subnets when a network that sorts first is added', () => {
    const first = compile(spec({ networks: { m: {} }, settings }), ctx());
    const second = compile(spec({ networks: { a: {}, m: {} }, settings }), ctx({}, first.allocations));
    expect(second.allocations.subnets.m).toBe(first.allocations.subnets.m);
    expect(second.allocations.subnets.a).not.toBe(first.allocations.subnets.m);
  });

  it('keeps interface names when a network that sorts first is connected later', () => {
    const first = compile(spec({ networks: { b: { subnet: '10.8.0.0/24' } }, endpoints: { e: { networks: { b: {} } } }, settings }), ctx());
    const s2 = spec({ networks: { a: { subnet: '10.9.0.0/24' }, b: { subnet: '10.8.0.0/24' } }, endpoints: { e: { networks: { a: {}, b: {} } } }, settings });
    const second = compile(s2, ctx({}, first.allocations));
    expect(second.allocations.interfaces).toEqual({ 'e/b': 'eth0', 'e/a': 'eth1' });
  });

  it('gives a previous address up to a static one that claims it', () => {
    const first = compile(spec({ networks: net, endpoints: eps(['a']), settings }), ctx());
    const second = compile(spec({ networks: net, endpoints: { ...eps(['a']), s: { networks: { n: { ipv4: '10.7.0.2' } } } }, settings }), ctx({}, first.allocations));
    expect(second.allocations.addresses).toEqual({ 'a/n': '10.7.0.3', 's/n': '10.7.0.2' });
  });

  it('rebuilds allocations from the kernel when the state file is gone, chosen host ports included', () => {
    const endpoints = { ...eps(['a']), b: { networks: { n: {} }, ports: ['80', '8000-8009:81', '8080:82'] } };
    const first = compile(spec({ networks: { n: {} }, endpoints, settings }), ctx());
    expect(Object.keys(first.allocations.ports)).toHaveLength(2);
    expect(allocationsFromObserved(first.desired)).toEqual(first.allocations);
  });

  it('allocates dynamic addresses inside ipRange only', () => {
    const r = allocateAddresses('10.0.0.0/24', '10.0.0.1', '10.0.0.128/25', [{ key: 'a' }, { key: 'b', static: '10.0.0.5' }], {});
    expect(r.addresses).toEqual({ a: '10.0.0.128', b: '10.0.0.5' });
  });
});
