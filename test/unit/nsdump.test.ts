// The namespace reader without a kernel: its output format on the Node side, and its netlink
// decoding on hand-built messages (nsdump-frames.py, run with the system's python3).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNsdump } from '../../src/kernel/nsdump.js';
import { MissingToolError } from '../../src/kernel/run.js';

describe('parseNsdump', () => {
  it('keys each line by the namespace as given, dumps and errors alike', () => {
    const out = parseNsdump(
      [
        '{"ns":"a","links":[{"ifname":"lo"}],"addrs":[],"routes":[]}',
        '',
        '{"ns":"/run/netns/b","error":"missing"}',
        '{"ns":"c","error":"Invalid argument"}',
        '{"ns":"d","links":[],"addrs":[],"routes":[],"host_nsid":0}',
      ].join('\n'),
    );
    expect([...out]).toEqual([
      ['a', { links: [{ ifname: 'lo' }], addrs: [], routes: [] }],
      ['/run/netns/b', { error: 'missing' }],
      ['c', { error: 'Invalid argument' }],
      // The id it gives the host: 0 is an id like any other.
      ['d', { links: [], addrs: [], routes: [], hostNsid: 0 }],
    ]);
  });

  it('names the package when python3 is missing', () => {
    expect(new MissingToolError('python3').message).toBe('python3 is not installed: apt-get install python3');
  });

  it('rejects a line that is neither', () => {
    expect(() => parseNsdump('{"ns":"a","links":[]}\n')).toThrow(/unexpected line/);
    expect(() => parseNsdump('Traceback (most recent call last):\n')).toThrow(SyntaxError);
  });
});

describe('nsdump.py netlink decoding', () => {
  it('passes its checks on hand-built messages', () => {
    const script = fileURLToPath(new URL('./nsdump-frames.py', import.meta.url));
    const r = spawnSync('python3', [script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
  });
});
