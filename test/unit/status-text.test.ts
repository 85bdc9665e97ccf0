// `wirestate status` as people read it, to the character.
import { describe, expect, it } from 'vitest';
import { statusText } from '../../src/cli/output/status-text.js';
import type { ControllerStatus } from '../../src/watch/status.js';

const digest = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const base: ControllerStatus = {
  version: 1,
  pid: 4242,
  dir: '/etc/wirestate',
  hostNetns: 'h1',
  mode: 'heal',
  resyncMs: 180_000,
  startedAt: '2026-01-02T03:00:00.000Z',
  updatedAt: '2026-01-02T03:05:00.000Z',
  conditions: [
    { type: 'Ready', status: 'False', reason: 'SpecInvalid', message: 'the spec is invalid; the kernel matches the last valid one (sha256:0123456789ab)', lastTransitionTime: '2026-01-02T03:04:00.000Z' },
    { type: 'Reconciling', status: 'False', reason: 'Idle', message: 'next resync in 3m', lastTransitionTime: '2026-01-02T03:04:00.100Z' },
    { type: 'Stalled', status: 'True', reason: 'SpecInvalid', message: '1 error in the spec, first: a.yaml:3:13: networks.a.subnet: "10.0.0.0/33" is not an IPv4 CIDR', lastTransitionTime: '2026-01-02T03:04:00.000Z' },
  ],
  lastAppliedDigest: digest,
  lastAttemptedDigest: digest,
  specErrors: ['a.yaml:3:13: networks.a.subnet: "10.0.0.0/33" is not an IPv4 CIDR'],
  passes: [
    { startedAt: '2026-01-02T03:04:00.000Z', durationMs: 48, trigger: ['file'], digest, changes: 0, drift: 0 },
    { startedAt: '2026-01-02T03:02:00.000Z', durationMs: 1210, trigger: ['kernel', 'resync'], digest, changes: 4, drift: 4 },
    { startedAt: '2026-01-02T03:01:00.000Z', durationMs: 30, trigger: ['retry'], digest, changes: 0, drift: 2, error: 'RTNETLINK answers: File exists' },
  ],
  drift: { inSync: true, total: 0, items: [] },
};

describe('status as text', () => {
  it('shows the controller, its conditions, spec errors, last passes and drift', () => {
    expect(statusText(base, true)).toBe(
      [
        'wirestate controller of host namespace h1',
        '  state:    running (pid 4242) since 2026-01-02T03:00:00.000Z',
        '  watching: /etc/wirestate  (heal, resync every 3m)',
        '  spec:     last applied sha256:0123456789ab, last attempted sha256:0123456789ab',
        '',
        'CONDITION    STATUS  REASON       SINCE                     MESSAGE',
        'Ready        False   SpecInvalid  2026-01-02T03:04:00.000Z  the spec is invalid; the kernel matches the last valid one (sha256:0123456789ab)',
        'Reconciling  False   Idle         2026-01-02T03:04:00.100Z  next resync in 3m',
        'Stalled      True    SpecInvalid  2026-01-02T03:04:00.000Z  1 error in the spec, first: a.yaml:3:13: networks.a.subnet: "10.0.0.0/33" is not an IPv4 CIDR',
        '',
        'SPEC ERRORS (the last valid spec stays in force)',
        '  a.yaml:3:13: networks.a.subnet: "10.0.0.0/33" is not an IPv4 CIDR',
        '',
        'LAST PASSES (newest first)',
        'STARTED                   TRIGGER        TOOK     CHANGES  DRIFT  RESULT',
        '2026-01-02T03:04:00.000Z  file           48 ms    0        0      ok',
        '2026-01-02T03:02:00.000Z  kernel,resync  1210 ms  4        4      ok',
        '2026-01-02T03:01:00.000Z  retry          30 ms    0        2      failed: RTNETLINK answers: File exists',
        '',
        'DRIFT AFTER THE LAST PASS',
        'In sync: the kernel matches the spec.',
        '',
      ].join('\n'),
    );
  });

  it('says when the controller stopped or died, and shows report-only drift, truncated as the file keeps it', () => {
    const item = { kind: 'link' as const, name: 'ws-a', namespace: '@host', status: 'changed' as const, patch: [{ op: 'test' as const, path: '/namespaces/@host/links/ws-a/mtu', value: 1400 }, { op: 'replace' as const, path: '/namespaces/@host/links/ws-a/mtu', value: 1500 }] };
    const reportOnly: ControllerStatus = { ...base, hostNetns: null, mode: 'report-only', specErrors: [], passes: [], lastAppliedDigest: null, drift: { inSync: false, total: 3, items: [item] } };
    const text = statusText(reportOnly, false).split('\n');
    expect(text.slice(0, 4)).toEqual([
      'wirestate controller of this host',
      '  state:    not running: pid 4242 is gone without a clean stop (last update 2026-01-02T03:05:00.000Z)',
      '  watching: /etc/wirestate  (report-only, resync every 3m)',
      '  spec:     last applied none, last attempted sha256:0123456789ab',
    ]);
    expect(text.slice(10)).toEqual([
      'LAST PASSES (newest first)',
      '  none yet',
      '',
      'DRIFT (report-only: not repaired)',
      '┌───────────┬───────┬─────────┬───────────┬───────────┐',
      '│ object    │ where │ drift   │ expected  │ found     │',
      '├───────────┼───────┼─────────┼───────────┼───────────┤',
      '│ link ws-a │ host  │ changed │ mtu: 1500 │ mtu: 1400 │',
      '└───────────┴───────┴─────────┴───────────┴───────────┘',
      '1 object drifted.',
      '(2 more not kept in the status file: run `wirestate drift`)',
      '',
    ]);
    expect(statusText({ ...base, stoppedAt: '2026-01-02T03:06:00.000Z' }, false).split('\n')[1]).toBe('  state:    stopped at 2026-01-02T03:06:00.000Z (pid 4242)');
  });
});
