// Parsing real iptables-save (1.8.9, nf_tables) output captured from a throwaway namespace.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isWirestateJump, parseIptablesSave } from '../../src/observe/parse-iptables.js';

const save = readFileSync(new URL('./fixtures/iptables-save.txt', import.meta.url), 'utf8');

describe('parseIptablesSave', () => {
  const fw = parseIptablesSave(save);

  it('reads owned chains in order, the user chain as null (never its rules)', () => {
    expect(fw.tables.filter?.chains).toEqual({
      'WIRESTATE-FORWARD': [
        '-i wst-br -o wst-br -j ACCEPT',
        '-o wst-br -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-i wst-br ! -o wst-br -j ACCEPT',
        '-j WIRESTATE-USER',
      ],
      'WIRESTATE-USER': null,
    });
    expect(fw.tables.nat?.chains).toEqual({
      'WIRESTATE-DNAT': ['-d 10.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.77.0.2:80'],
      'WIRESTATE-POSTROUTING': ['-s 10.77.0.0/24 ! -o wst-br -j MASQUERADE'],
    });
  });

  it('reads only the commented jumps of built-in chains, quoted comments included', () => {
    expect(fw.tables.filter?.jumps).toEqual({ FORWARD: ['-m comment --comment wirestate -j WIRESTATE-FORWARD'] });
    expect(fw.tables.nat?.jumps).toEqual({
      PREROUTING: ['-m addrtype --dst-type LOCAL -m comment --comment "wirestate published ports" -j WIRESTATE-DNAT'],
      POSTROUTING: ['-m comment --comment wirestate -j WIRESTATE-POSTROUTING'],
    });
  });

  it('always has filter, nat, raw and mangle (where encrypted overlays mark their packets), and reads mangle alike', () => {
    expect(fw.tables.raw).toEqual({ chains: {}, jumps: {} });
    expect(fw.tables.mangle).toEqual({ chains: {}, jumps: { FORWARD: ['-m comment --comment wirestate -j ACCEPT'] } });
    expect(Object.keys(fw.tables)).toEqual(['filter', 'nat', 'raw', 'mangle']);
    const empty = { chains: {}, jumps: {} };
    expect(parseIptablesSave('')).toEqual({ tables: { filter: empty, nat: empty, raw: empty, mangle: empty } });
  });
});

it('isWirestateJump wants the comment to be exactly wirestate or start with "wirestate "', () => {
  expect(isWirestateJump('-m comment --comment wirestate -j X')).toBe(true);
  expect(isWirestateJump('-m comment --comment wirestate-not -j DOCKER')).toBe(false);
  expect(isWirestateJump('-s 192.0.2.1/32 -j ACCEPT')).toBe(false);
});
