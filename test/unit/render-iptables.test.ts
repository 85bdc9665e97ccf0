import { describe, expect, it } from 'vitest';
import { renderRestore, type FirewallChange } from '../../src/apply/render-iptables.js';

const chain = (action: 'create' | 'update' | 'delete', name: string, rules?: string[] | null): FirewallChange => ({
  action,
  kind: 'chain',
  namespace: '@host',
  name: `filter/${name}`,
  table: 'filter',
  chain: name,
  ...(rules !== undefined ? { rules } : {}),
  detail: [],
});

const jumps = (builtin: string, rules: string[], previous: string[]): FirewallChange => ({
  action: 'update',
  kind: 'jumps',
  namespace: '@host',
  name: `filter/${builtin}`,
  table: 'filter',
  chain: builtin,
  rules,
  previous,
  detail: [],
});

describe('renderRestore', () => {
  it('declares, deletes old jumps, fills chains, inserts jumps at the top in order, removes chains', () => {
    const j1 = '-m comment --comment wirestate -j WIRESTATE-FORWARD';
    const j2 = '-m comment --comment wirestate -j WIRESTATE-ISOLATION';
    const text = renderRestore(
      'filter',
      [
        chain('create', 'WIRESTATE-USER', null),
        chain('update', 'WIRESTATE-FORWARD', ['-i wst-br -o wst-br -j ACCEPT', '-j WIRESTATE-USER']),
        chain('create', 'WIRESTATE-ISOLATION', ['-j RETURN']),
        chain('delete', 'WIRESTATE-OLD'),
        jumps('FORWARD', [j1, j2], ['-m comment --comment wirestate -j WIRESTATE-OLD']),
      ],
      { FORWARD: ['-m comment --comment wirestate -j WIRESTATE-OLD', j1] },
    );
    expect(text).toBe(
      [
        '*filter',
        ':WIRESTATE-USER - [0:0]',
        ':WIRESTATE-FORWARD - [0:0]',
        ':WIRESTATE-ISOLATION - [0:0]',
        ':WIRESTATE-OLD - [0:0]',
        '-D FORWARD -m comment --comment wirestate -j WIRESTATE-OLD',
        `-D FORWARD ${j1}`,
        '-A WIRESTATE-FORWARD -i wst-br -o wst-br -j ACCEPT',
        '-A WIRESTATE-FORWARD -j WIRESTATE-USER',
        '-A WIRESTATE-ISOLATION -j RETURN',
        `-I FORWARD 1 ${j2}`,
        `-I FORWARD 1 ${j1}`,
        '-X WIRESTATE-OLD',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('never declares (and so never flushes) the user chain on an update', () => {
    expect(renderRestore('filter', [chain('update', 'WIRESTATE-USER', null)], {})).toBe('*filter\nCOMMIT\n');
  });

  it('rejects a rule that would break the file', () => {
    expect(() => renderRestore('filter', [chain('create', 'WIRESTATE-X', ['-j ACCEPT\n-A FORWARD -j DROP'])], {})).toThrow('invalid rule');
    expect(() => renderRestore('filter', [chain('create', 'WIRESTATE X', [])], {})).toThrow('invalid chain name');
  });
});
