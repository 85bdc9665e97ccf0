// The controller's small parts: durations, backoff, the spec digest, the log's terminal form,
// and the metrics text and server.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/watch/backoff.js';
import { specDigest } from '../../src/watch/digest.js';
import { formatDuration, parseDuration } from '../../src/watch/duration.js';
import { prettyLine } from '../../src/watch/log.js';
import { Metrics } from '../../src/watch/metrics.js';
import { parseListenAddress, startMetricsServer } from '../../src/watch/metrics-server.js';
import { spec } from './fixtures.js';

describe('durations', () => {
  it('reads what people write', () => {
    expect(['500ms', '2s', '1.5s', '5m', '1h', '1m30s', '1h0m5s'].map(parseDuration)).toEqual([500, 2_000, 1_500, 300_000, 3_600_000, 90_000, 3_605_000]);
  });

  it('rejects anything else', () => {
    expect(['', '5', 's', '5 m', '-5s', '5d', '1m30', 'ms5'].map(parseDuration)).toEqual(Array(8).fill(undefined));
  });

  it('prints the shortest exact form', () => {
    expect([250, 1_000, 1_500, 120_000, 90_000, 3_600_000, 3_605_000].map(formatDuration)).toEqual(['250ms', '1s', '1.5s', '2m', '1m30s', '1h', '1h5s']);
  });
});

describe('backoff', () => {
  it('doubles up to the cap with equal jitter, and starts over after a success', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0 });
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(low.failures).toBe(6);
    low.reset();
    expect(low.next()).toBe(50);
    const high = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0.999 });
    expect(Array.from({ length: 5 }, () => high.next())).toEqual([100, 200, 400, 800, 1000]);
  });
});

describe('the spec digest', () => {
  it('depends on what the spec says, not on key order or where it was written', () => {
    const a = spec({ networks: { a: { subnet: '10.1.0.0/24', mtu: 1400 }, b: {} } });
    const b = { ...spec({ networks: { b: {}, a: { mtu: 1400, subnet: '10.1.0.0/24' } } }), sources: { 'networks.a': { file: '/x.yaml', line: 9, col: 3 } } };
    expect(specDigest(a)).toBe(specDigest(b));
    expect(specDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(specDigest(spec({ networks: { a: { subnet: '10.1.0.0/24', mtu: 1500 }, b: {} } }))).not.toBe(specDigest(a));
  });
});

describe('the log on a terminal', () => {
  it('prints one line per record, lists of phrases below it, other fields as key=value', () => {
    const time = new Date(2026, 0, 2, 3, 4, 5, 67).toISOString();
    const rec = { level: 30, time, pid: 1, msg: 'applied 2 changes', trigger: ['file', 'kernel'], durationMs: 45, changes: ['create link ws-a [host]', 'create address 10.0.0.1/24 dev ws-a [host]'] };
    expect(prettyLine(JSON.stringify(rec))).toBe('03:04:05.067 INFO  applied 2 changes  trigger=file,kernel durationMs=45\n    create link ws-a [host]\n    create address 10.0.0.1/24 dev ws-a [host]\n');
    expect(prettyLine(JSON.stringify({ level: 50, time, msg: 'pass failed', error: 'no such device' }))).toBe('03:04:05.067 ERROR pass failed  error="no such device"\n');
  });
});

describe('metrics', () => {
  it('are written in the Prometheus text format', () => {
    const m = new Metrics(1_700_000_000_000);
    m.passDuration.observe(0.04);
    m.passDuration.observe(3);
    m.passes.add(1, { result: 'ok' });
    m.changes.add(2, { kind: 'link' });
    m.owned.setAll('kind', { link: 3, namespace: 1 });
    m.owned.setAll('kind', { link: 2 });
    m.errors.add(1, { reason: 'spec "bad"\n' });
    const text = m.render().replace(/^process_resident_memory_bytes \d+$/m, 'process_resident_memory_bytes N');
    expect(text).toBe(
      [
        '# HELP wirestate_pass_duration_seconds Duration of reconcile passes (observe, diff, apply, verify).',
        '# TYPE wirestate_pass_duration_seconds histogram',
        'wirestate_pass_duration_seconds_bucket{le="0.025"} 0',
        'wirestate_pass_duration_seconds_bucket{le="0.05"} 1',
        'wirestate_pass_duration_seconds_bucket{le="0.1"} 1',
        'wirestate_pass_duration_seconds_bucket{le="0.25"} 1',
        'wirestate_pass_duration_seconds_bucket{le="0.5"} 1',
        'wirestate_pass_duration_seconds_bucket{le="1"} 1',
        'wirestate_pass_duration_seconds_bucket{le="2.5"} 1',
        'wirestate_pass_duration_seconds_bucket{le="5"} 2',
        'wirestate_pass_duration_seconds_bucket{le="10"} 2',
        'wirestate_pass_duration_seconds_bucket{le="30"} 2',
        'wirestate_pass_duration_seconds_bucket{le="60"} 2',
        'wirestate_pass_duration_seconds_bucket{le="+Inf"} 2',
        'wirestate_pass_duration_seconds_sum 3.04',
        'wirestate_pass_duration_seconds_count 2',
        '# HELP wirestate_passes_total Reconcile passes, by result (ok, failed).',
        '# TYPE wirestate_passes_total counter',
        'wirestate_passes_total{result="ok"} 1',
        '# HELP wirestate_changes_applied_total Kernel changes applied, by object kind.',
        '# TYPE wirestate_changes_applied_total counter',
        'wirestate_changes_applied_total{kind="link"} 2',
        '# HELP wirestate_drift_found_total Objects found differing from the spec at the start of a pass, by object kind.',
        '# TYPE wirestate_drift_found_total counter',
        '# HELP wirestate_drifted_objects Objects differing from the spec after the last pass (report-only mode: not repaired).',
        '# TYPE wirestate_drifted_objects gauge',
        '# HELP wirestate_errors_total Errors, by reason (spec_invalid, pass_failed).',
        '# TYPE wirestate_errors_total counter',
        'wirestate_errors_total{reason="spec \\"bad\\"\\n"} 1',
        '# HELP wirestate_owned_objects Kernel objects the spec makes wirestate own, by kind.',
        '# TYPE wirestate_owned_objects gauge',
        'wirestate_owned_objects{kind="link"} 2',
        'wirestate_owned_objects{kind="namespace"} 0',
        '# HELP wirestate_ready 1 when the kernel matched the spec at the last pass and the spec is valid.',
        '# TYPE wirestate_ready gauge',
        'wirestate_ready 0',
        '# HELP wirestate_last_success_timestamp_seconds When the last pass succeeded (Unix time).',
        '# TYPE wirestate_last_success_timestamp_seconds gauge',
        '# HELP process_resident_memory_bytes Resident memory of the controller.',
        '# TYPE process_resident_memory_bytes gauge',
        'process_resident_memory_bytes N',
        '# HELP process_start_time_seconds Start time of the controller (Unix time).',
        '# TYPE process_start_time_seconds gauge',
        'process_start_time_seconds 1700000000',
        '',
      ].join('\n'),
    );
  });

  it('take a listen address as PORT (loopback) or HOST:PORT', () => {
    expect(parseListenAddress('9469')).toEqual({ host: '127.0.0.1', port: 9469 });
    expect(parseListenAddress('0.0.0.0:9469')).toEqual({ host: '0.0.0.0', port: 9469 });
    expect(parseListenAddress('[::1]:9469')).toEqual({ host: '::1', port: 9469 });
    expect(parseListenAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    for (const bad of ['', 'x', ':9469', '127.0.0.1:', '127.0.0.1:70000', 'http://127.0.0.1:9469']) expect(parseListenAddress(bad)).toBeUndefined();
  });

  it('are served on loopback at /metrics, and nothing else is', async () => {
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => 'wirestate_ready 1\n');
    try {
      expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
      const [host, port] = server.address.split(':');
      const get = (path: string) =>
        new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
          request({ host, port: Number(port), path, timeout: 5_000 }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
          })
            .on('error', reject)
            .end();
        });
      expect(await get('/metrics')).toEqual({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: 'wirestate_ready 1\n' });
      expect(await get('/')).toEqual({ status: 404, type: 'text/plain; charset=utf-8', body: 'not found: try /metrics\n' });
    } finally {
      await server.close();
    }
  });
});
