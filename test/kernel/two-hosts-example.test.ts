// The two-host example a newcomer runs (scripts/two-hosts.sh on examples/two-hosts) keeps working:
// across simulated hosts by name, both overlays, and nothing left behind by its `down`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listNetns } from '../../src/kernel/run.js';
import { repoRoot, requireRoot, run } from './helpers/index.js';

const kernel = requireRoot();
const PREFIX = `ws-t${process.pid}-th`;
const env = { ...process.env, PREFIX, STATE: join(mkdtempSync(join(tmpdir(), 'wirestate-two-hosts-')), 'state') };
const script = (...args: string[]) => run('bash', [join(repoRoot, 'scripts/two-hosts.sh'), ...args], { env, timeoutMs: 120_000 });

describe.skipIf(!kernel)('the two-host example', () => {
  afterAll(async () => {
    await script('down');
  });

  it('brings up both hosts and shows endpoints reaching each other across them by name', async () => {
    const r = await script();
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/web \(host a\) finds api \(host b\) at 10\.50\.0\.\d+/);
    expect(r.stdout).toContain('ok    web (host a) pings api (host b) by name over the app overlay');
    expect(r.stdout).toContain('ok    db (host a) pings api (host b) by name over the internal data overlay');
    expect(r.stdout).toMatch(/ok {4}web cannot reach db \(10\.51\.0\.\d+\): they share no network/);
    expect(r.stdout).not.toContain('FAIL');
  });

  it('takes everything away with down', async () => {
    const r = await script('down');
    expect(r.code, r.stderr).toBe(0);
    expect(listNetns().filter((n) => n.startsWith(PREFIX))).toEqual([]);
  });
});
