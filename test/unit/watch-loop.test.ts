// The control loop's state machine with a fake spec loader and a fake pass: coalescing, the last
// valid spec, backoff and what bypasses it, report-only drift, the clean stop, and what the
// status and the log say at each step.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/pipeline/pass.js';
import type { DriftReport } from '../../src/reconcile/drift.js';
import type { LoadResult } from '../../src/spec/index.js';
import { Backoff } from '../../src/watch/backoff.js';
import { specDigest } from '../../src/watch/digest.js';
import { ControlLoop, type LoopOptions, type PassOutcome } from '../../src/watch/loop.js';
import { Metrics } from '../../src/watch/metrics.js';
import type { ControllerStatus } from '../../src/watch/status.js';
import { spec } from './fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, timeoutMs = 2_000): Promise<void> {
  for (const t0 = Date.now(); !cond(); await sleep(5)) if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
}

const inSync: DriftReport = { inSync: true, items: [] };
const drifted: DriftReport = { inSync: false, items: [{ kind: 'link', name: 'wsabc', namespace: '@host', status: 'missing', patch: [{ op: 'add', path: '/namespaces/@host/links/wsabc', value: {} }] }] };
const outcome = (over: Partial<PassOutcome> = {}): PassOutcome => ({ changes: [], found: inSync, remaining: inSync, warnings: [], owned: { link: 1 }, namespaces: [], ...over });

const specA = spec({ networks: { a: { subnet: '10.1.0.0/24' } } });
const specB = spec({ networks: { b: { subnet: '10.2.0.0/24' } } });
const valid = (s = specA): LoadResult => ({ ok: true, spec: s, files: ['/d/a.yaml'] });
const invalid: LoadResult = { ok: false, files: ['/d/a.yaml'], errors: [{ file: '/d/a.yaml', line: 3, col: 13, path: 'networks.a.subnet', message: '"10.1.0.0/33" is not an IPv4 CIDR' }] };

interface Harness {
  loop: ControlLoop;
  /** What each pass was given. */
  passes: string[];
  logs: { level: number; msg: string; [k: string]: unknown }[];
  published: ControllerStatus[];
  metrics: Metrics;
  condition(type: string): string;
  setLoad(r: LoadResult): void;
  setPass(fn: (s: typeof specA) => Promise<PassOutcome>): void;
  afterPass: string[][];
  /** The networks of each spec handed to specLoaded. */
  specsLoaded: string[];
  loads: number;
}

let loops: ControlLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.map((l) => l.stop()));
  loops = [];
});

function harness(over: Partial<LoopOptions> = {}): Harness {
  let load: LoadResult = valid();
  let pass = async (): Promise<PassOutcome> => outcome();
  const h = { passes: [] as string[], logs: [] as Harness['logs'], published: [] as ControllerStatus[], afterPass: [] as string[][], specsLoaded: [] as string[], loads: 0 } as Harness;
  const log = pino({ level: 'debug' }, { write: (s: string) => h.logs.push(JSON.parse(s)) });
  h.metrics = new Metrics(0);
  h.loop = new ControlLoop({
    heal: true,
    resyncMs: 60_000,
    settleMs: 10,
    maxSettleMs: 40,
    backoff: new Backoff({ initialMs: 200, maxMs: 1_000, random: () => 0.5 }),
    load: async () => {
      h.loads++;
      return load;
    },
    specLoaded: (s) => {
      h.specsLoaded.push(Object.keys(s.networks).join(','));
    },
    pass: async (s) => {
      h.passes.push(Object.keys(s.networks).join(','));
      return pass(s);
    },
    afterPass: async (o) => {
      h.afterPass.push(o.namespaces);
    },
    publish: async (s) => {
      h.published.push(structuredClone(s));
    },
    log,
    metrics: h.metrics,
    status: { pid: 42, dir: '/d', hostNetns: 'h1', resyncMs: 60_000 },
    ...over,
  });
  loops.push(h.loop);
  h.condition = (type) => {
    const c = h.loop.status.conditions.find((x) => x.type === type)!;
    return `${c.status} ${c.reason}: ${c.message}`;
  };
  h.setLoad = (r) => (load = r);
  h.setPass = (fn) => (pass = fn);
  return h;
}

describe('control loop', () => {
  it('runs a first pass at start and reports Ready with the digest it applied', async () => {
    const h = harness();
    h.setPass(async () => outcome({ changes: [{ kind: 'link', text: 'create link ws-a [host]' }], found: drifted, namespaces: ['h1-web'] }));
    h.loop.trigger('start');
    await until('the first pass', () => h.loop.status.passes.length === 1);
    const digest = specDigest(specA);
    expect(h.loop.status.lastAppliedDigest).toBe(digest);
    expect(h.condition('Ready')).toBe(`True Converged: the kernel matches the spec (${digest.slice(0, 19)})`);
    expect(h.condition('Reconciling')).toBe('False Idle: next resync in 1m');
    expect(h.condition('Stalled')).toBe('False NoError: ');
    expect(h.loop.status.passes[0]).toMatchObject({ trigger: ['start'], digest, changes: 1, drift: 1 });
    expect(h.logs.find((l) => l.msg === 'applied 1 change')).toMatchObject({ trigger: ['start'], changes: ['create link ws-a [host]'] });
    await until('afterPass', () => h.afterPass.length === 1);
    expect(h.afterPass).toEqual([['h1-web']]);
    // Published before the pass (Reconciling) and after it.
    expect(h.published.map((s) => s.conditions.find((c) => c.type === 'Reconciling')!.reason)).toEqual(['Progressing', 'Idle']);
  });

  it('coalesces a burst of triggers into one pass, and triggers during a pass into one more', async () => {
    const h = harness();
    let release!: () => void;
    h.setPass(() => new Promise((r) => (release = () => r(outcome()))));
    for (let i = 0; i < 20; i++) h.loop.trigger('kernel');
    await until('the pass to start', () => h.passes.length === 1);
    for (let i = 0; i < 20; i++) h.loop.trigger(i % 2 ? 'file' : 'kernel');
    await sleep(50);
    expect(h.passes).toHaveLength(1);
    h.setPass(async () => outcome());
    release();
    await until('the second pass', () => h.loop.status.passes.length === 2);
    await sleep(50);
    expect(h.loop.status.passes.map((p) => p.trigger)).toEqual([['kernel', 'file'], ['kernel']]);
  });

  it('keeps serving the last valid spec while the spec is invalid, reports Stalled, and recovers on the next valid edit', async () => {
    const h = harness();
    h.loop.trigger('start');
    await until('the first pass', () => h.loop.status.passes.length === 1);
    h.setLoad(invalid);
    h.loop.trigger('file');
    await until('the second pass', () => h.loop.status.passes.length === 2);
    const digestA = specDigest(specA);
    expect(h.passes).toEqual(['a', 'a']);
    expect(h.loop.status.specErrors).toEqual(['/d/a.yaml:3:13: networks.a.subnet: "10.1.0.0/33" is not an IPv4 CIDR']);
    expect(h.condition('Stalled')).toBe('True SpecInvalid: 1 error in the spec, first: /d/a.yaml:3:13: networks.a.subnet: "10.1.0.0/33" is not an IPv4 CIDR');
    expect(h.condition('Ready')).toBe(`False SpecInvalid: the spec is invalid; the kernel matches the last valid one (${digestA.slice(0, 19)})`);
    expect(h.logs.filter((l) => l.level === 50)).toEqual([
      expect.objectContaining({ msg: `the spec is invalid, keeping the last valid spec (${digestA.slice(0, 19)})`, errors: ['/d/a.yaml:3:13: networks.a.subnet: "10.1.0.0/33" is not an IPv4 CIDR'] }),
    ]);
    // The same errors again (a resync) are not logged twice.
    h.loop.trigger('resync');
    await until('the third pass', () => h.loop.status.passes.length === 3);
    expect(h.logs.filter((l) => l.level === 50)).toHaveLength(1);
    h.setLoad(valid(specB));
    h.loop.trigger('file');
    await until('the fourth pass', () => h.loop.status.passes.length === 4);
    expect(h.passes).toEqual(['a', 'a', 'a', 'b']);
    expect(h.loop.status.specErrors).toEqual([]);
    expect(h.condition('Stalled')).toBe('False NoError: ');
    expect(h.loop.status.lastAppliedDigest).toBe(specDigest(specB));
    expect(h.logs.map((l) => l.msg)).toContain('the spec is valid again');
    expect(h.metrics.render()).toContain('wirestate_errors_total{reason="spec_invalid"} 2\n');
  });

  it('applies nothing when the spec was never valid, and says so', async () => {
    const h = harness();
    h.setLoad(invalid);
    h.loop.trigger('start');
    await until('the first pass', () => h.loop.status.passes.length === 1);
    expect(h.passes).toEqual([]);
    expect(h.loop.status.passes[0]).toMatchObject({ digest: null, error: 'the spec is invalid and no earlier spec was valid: nothing to apply' });
    expect(h.condition('Ready')).toBe('False SpecInvalid: the spec is invalid and no earlier spec was valid: nothing applied');
    expect(h.condition('Stalled')).toMatch(/^True SpecInvalid: 1 error in the spec/);
    expect(h.logs.find((l) => l.level === 50)?.msg).toBe('the spec is invalid, nothing applied until it is fixed');
  });

  it('retries a failed pass with backoff; kernel events and resyncs wait for it, an edit or SIGHUP does not', async () => {
    const h = harness();
    h.setPass(async () => {
      throw new Error('RTNETLINK answers: Operation not permitted');
    });
    h.loop.trigger('start');
    await until('the first pass', () => h.loop.status.passes.length === 1);
    expect(h.condition('Ready')).toBe('False ReconcileFailed: RTNETLINK answers: Operation not permitted');
    // random() = 0.5: 200 ms nominal → 150 ms.
    expect(h.condition('Reconciling')).toBe('True RetryingAfterError: attempt 1 failed; retrying in 150ms');
    expect(h.condition('Stalled')).toBe('False NoError: ');
    h.loop.trigger('kernel');
    h.loop.trigger('resync');
    await sleep(80);
    expect(h.loop.status.passes).toHaveLength(1);
    await until('the retry', () => h.loop.status.passes.length === 2, 1_000);
    expect(h.loop.status.passes[0]!.trigger).toEqual(['kernel', 'resync', 'retry']);
    expect(h.condition('Reconciling')).toBe('True RetryingAfterError: attempt 2 failed; retrying in 300ms');
    h.loop.trigger('file');
    await until('the edit', () => h.loop.status.passes.length === 3, 100);
    h.loop.trigger('signal');
    await until('SIGHUP', () => h.loop.status.passes.length === 4, 100);
    expect(h.logs.filter((l) => l.msg === 'pass failed').map((l) => [l.attempt, l.retryInMs])).toEqual([[1, 150], [2, 300], [3, 600], [4, 750]]);
    h.setPass(async () => outcome());
    h.loop.trigger('signal');
    await until('success', () => h.loop.status.passes.length === 5, 100);
    expect(h.condition('Ready')).toMatch(/^True Converged/);
    expect(h.condition('Reconciling')).toBe('False Idle: next resync in 1m');
    expect(h.metrics.render()).toContain('wirestate_passes_total{result="failed"} 4\nwirestate_passes_total{result="ok"} 1\n');
    // Success reset the backoff: the next failure waits the initial delay again.
    h.setPass(async () => {
      throw new Error('again');
    });
    h.loop.trigger('signal');
    await until('failure', () => h.loop.status.passes.length === 6, 100);
    expect(h.condition('Reconciling')).toBe('True RetryingAfterError: attempt 1 failed; retrying in 150ms');
  });

  it('reports a spec this host rejects as Stalled (a person must act), and a kernel that still differs after apply as a failure', async () => {
    const h = harness();
    h.setPass(async () => {
      throw new UserError('the spec conflicts with this host, nothing was changed', ['networks.clash: bridge name "br0" is already used by a link wirestate does not own']);
    });
    h.loop.trigger('start');
    await until('the first pass', () => h.loop.status.passes.length === 1);
    const msg = 'the spec conflicts with this host, nothing was changed; networks.clash: bridge name "br0" is already used by a link wirestate does not own';
    expect(h.condition('Stalled')).toBe(`True SpecRejected: ${msg}`);
    expect(h.condition('Ready')).toBe(`False SpecRejected: ${msg}`);
    h.setPass(async () => outcome({ changes: [{ kind: 'link', text: 'create link wsabc [host]' }], found: drifted, remaining: drifted }));
    h.loop.trigger('file');
    await until('the second pass', () => h.loop.status.passes.length === 2);
    expect(h.loop.status.passes[0]!.error).toBe('after 1 change the kernel still differs in 1 object: missing link wsabc [@host]');
    expect(h.condition('Ready')).toBe('False ReconcileFailed: after 1 change the kernel still differs in 1 object: missing link wsabc [@host]');
    expect(h.condition('Stalled')).toBe('False NoError: ');
    expect(h.loop.status.drift).toEqual({ inSync: false, total: 1, items: drifted.items });
  });

  it('in report-only mode says DriftDetected, logs the drift once, and counts it', async () => {
    const h = harness({ heal: false });
    h.setPass(async () => outcome({ found: drifted, remaining: drifted }));
    h.loop.trigger('start');
    await until('the first pass', () => h.loop.status.passes.length === 1);
    expect(h.loop.status.mode).toBe('report-only');
    expect(h.loop.status.lastAppliedDigest).toBeNull();
    expect(h.condition('Ready')).toBe('False DriftDetected: 1 object differs from the spec (report-only: not repaired)');
    h.loop.trigger('resync');
    await until('the second pass', () => h.loop.status.passes.length === 2);
    const warned = h.logs.filter((l) => l.level === 40);
    expect(warned).toEqual([expect.objectContaining({ msg: 'drift: 1 object differs from the spec (report-only, not repaired)', drift: ['missing link wsabc [@host]'] })]);
    const m = h.metrics.render();
    expect(m).toContain('wirestate_drift_found_total{kind="link"} 2\n');
    expect(m).toContain('wirestate_drifted_objects 1\n');
    expect(m).toContain('wirestate_ready 0\n');
    h.setPass(async () => outcome());
    h.loop.trigger('kernel');
    await until('the third pass', () => h.loop.status.passes.length === 3);
    expect(h.condition('Ready')).toMatch(/^True InSync: the kernel matches the spec/);
    expect(h.logs.at(-1)?.msg).toBe('in sync: the kernel matches the spec');
  });

  it('reads the spec again for every pass but those only kernel events triggered', async () => {
    const h = harness();
    h.loop.trigger('start');
    await until('the first pass', () => h.loop.status.passes.length === 1);
    h.setLoad(valid(specB));
    h.loop.trigger('kernel');
    await until('the kernel pass', () => h.loop.status.passes.length === 2);
    expect([h.loads, h.passes]).toEqual([1, ['a', 'a']]);
    for (const t of ['file', 'resync', 'signal'] as const) {
      h.loop.trigger(t);
      await until(`the ${t} pass`, () => h.loop.status.passes.length === 3);
      expect([t, h.loads, h.passes.at(-1)]).toEqual([t, 2, 'b']);
      h.loop.status.passes = h.loop.status.passes.slice(1);
      h.loads = 1;
    }
    // While the spec is invalid, a kernel pass still says so.
    h.setLoad(invalid);
    h.loop.trigger('file');
    await until('the invalid pass', () => h.loop.status.passes.length === 3);
    h.loop.trigger('kernel');
    await until('the kernel pass', () => h.loop.status.passes.length === 4);
    expect(h.condition('Stalled')).toMatch(/^True SpecInvalid/);
    expect(h.passes.at(-1)).toBe('b');
  });

  it('hands every valid spec it reads to specLoaded before the pass, and no invalid one', async () => {
    const h = harness();
    let seenByPass: string[] = [];
    h.setPass(async () => {
      seenByPass = [...h.specsLoaded];
      return outcome();
    });
    h.loop.trigger('start');
    await until('the first pass', () => h.loop.status.passes.length === 1);
    expect(seenByPass).toEqual(['a']);
    h.setLoad(invalid);
    h.loop.trigger('file');
    await until('the invalid pass', () => h.loop.status.passes.length === 2);
    h.setLoad(valid(specB));
    h.loop.trigger('kernel');
    await until('the kernel pass', () => h.loop.status.passes.length === 3);
    h.loop.trigger('resync');
    await until('the resync pass', () => h.loop.status.passes.length === 4);
    expect(h.specsLoaded).toEqual(['a', 'b']);
  });

  it('runs a pass for a key file change at once while backing off, without reading the YAML again', async () => {
    const h = harness();
    h.loop.trigger('start');
    await until('the first pass', () => h.loop.status.passes.length === 1);
    h.setLoad(valid(specB));
    h.setPass(async () => {
      throw new Error('networks.sec.keyFile: /k/sec.key line 1 is not a hex key of 32 bytes or more');
    });
    h.loop.trigger('keyfile');
    await until('the key file pass', () => h.loop.status.passes.length === 2);
    expect(h.loop.status.passes[0]).toMatchObject({ trigger: ['keyfile'], error: 'networks.sec.keyFile: /k/sec.key line 1 is not a hex key of 32 bytes or more' });
    // Backing off (150 ms): a kernel event waits, a key file edit does not.
    h.setPass(async () => outcome());
    h.loop.trigger('kernel');
    await sleep(60);
    expect(h.loop.status.passes).toHaveLength(2);
    h.loop.trigger('keyfile');
    await until('the fixed key file pass', () => h.loop.status.passes.length === 3, 100);
    expect(h.loop.status.passes[0]!.trigger).toEqual(['kernel', 'keyfile']);
    expect(h.condition('Ready')).toMatch(/^True Converged/);
    expect([h.loads, h.passes]).toEqual([1, ['a', 'a', 'a']]);
  });

  it('runs a resync pass when nothing else happens', async () => {
    const h = harness({ resyncMs: 60 });
    h.loop.trigger('start');
    await until('two resyncs', () => h.loop.status.passes.length === 3, 1_000);
    expect(h.loop.status.passes.map((p) => p.trigger)).toEqual([['resync'], ['resync'], ['start']]);
  });

  it('on stop, finishes the pass in flight, starts no other, and records the stop', async () => {
    const h = harness();
    let release!: () => void;
    h.setPass(() => new Promise((r) => (release = () => r(outcome()))));
    h.loop.trigger('start');
    await until('the pass to start', () => h.passes.length === 1);
    h.loop.trigger('kernel');
    const stopped = h.loop.stop();
    await sleep(30);
    expect(h.loop.status.passes).toHaveLength(0);
    release();
    await stopped;
    await sleep(30);
    expect(h.passes).toHaveLength(1);
    expect(h.loop.status.passes).toHaveLength(1);
    expect(h.loop.status.stoppedAt).toBeDefined();
    expect(h.condition('Reconciling')).toBe('False Stopped: the controller stopped; the kernel was left as it is');
    expect(h.published.at(-1)?.stoppedAt).toBe(h.loop.status.stoppedAt);
    h.loop.trigger('signal');
    await sleep(30);
    expect(h.passes).toHaveLength(1);
  });

  it('keeps the last ten passes, newest first', async () => {
    const h = harness();
    for (let i = 0; i < 12; i++) {
      h.loop.trigger('signal');
      await until(`pass ${i}`, () => h.passes.length === i + 1 && h.loop.status.passes.length === Math.min(i + 1, 10));
    }
    expect(h.loop.status.passes).toHaveLength(10);
    expect(h.passes).toHaveLength(12);
  });
});
