// The controller section of `npm run bench` (alone: `node dist/bench/run.js --only controller`):
// with N endpoints converged and `wirestate reconcile` running as the controller,
//   - save → applied: a spec file saved, until the kernel shows the change (a probe network's
//     MTU, read from our own `ip monitor` in the host namespace), over 50 edits;
//   - repair: a host veth deleted by hand, from the kernel's "Deleted" event until the veth is
//     back, over 20 deletions;
//   - memory: the controller's resident set (VmRSS) at the end and its peak (VmHWM).
// Targets: save → applied p50 < 250 ms, repair < 1 s after the event, memory < 150 MB.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { BenchDeps } from './deps.js';

export interface ControllerResult {
  n: number;
  saveMs: number[];
  repairMs: number[];
  rssKb: number;
  peakRssKb: number;
  error?: string;
}

export const EDITS = 50;
export const REPAIRS = 20;
export const TARGETS = { saveP50Ms: 250, repairMs: 1_000, memoryMb: 150 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function specFiles(n: number, probeMtu: number): Record<string, string> {
  const eps = Array.from({ length: n }, (_, k) => `  c${String(k + 1).padStart(4, '0')}: { networks: [benchnet] }\n`).join('');
  return {
    // The probe network has no endpoints: an edit of its MTU is one kernel change, whatever N is.
    'networks.yaml': `networks:\n  benchnet: { subnet: 10.202.0.0/16, dns: false }\n  probe: { subnet: 10.203.0.0/24, mtu: ${probeMtu}, dns: false }\nsettings:\n  defaultBridge: { enabled: false }\n`,
    'endpoints.yaml': `endpoints:\n${eps}`,
  };
}

/** Lines of `ip -o monitor link` in the host namespace, each with the time it arrived. */
class LinkMonitor {
  private readonly child: ChildProcess;
  private readonly waiters: { test: (line: string) => boolean; resolve: (t: number) => void }[] = [];

  constructor(host: string) {
    this.child = spawn('ip', ['-o', '-n', host, 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const t = performance.now();
      for (const w of [...this.waiters]) {
        if (!w.test(line)) continue;
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(t);
      }
    });
  }

  /** Resolves with the arrival time of the first line from now on that passes `test`; rejects after `timeoutMs`. */
  next(test: (line: string) => boolean, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching kernel event within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ test, resolve: (t) => (clearTimeout(timer), resolve(t)) });
    });
  }

  stop(): void {
    this.child.kill();
  }
}

function memoryKb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Waits until the controller's status file says no pass runs and has not changed for `quietMs`. */
async function quiet(statusFile: string, quietMs: number, timeoutMs: number): Promise<void> {
  let last = '';
  let since = performance.now();
  for (const t0 = performance.now(); performance.now() - t0 < timeoutMs; await sleep(20)) {
    let text = '';
    try {
      text = readFileSync(statusFile, 'utf8');
    } catch {
      continue;
    }
    if (text !== last) {
      last = text;
      since = performance.now();
    }
    const idle = /"type": "Reconciling",\s*"status": "False"/.test(text) && /"type": "Ready",\s*"status": "True"/.test(text);
    if (idle && performance.now() - since >= quietMs) return;
  }
  throw new Error(`the controller did not settle within ${timeoutMs} ms`);
}

export async function runControllerBench(n: number, d: BenchDeps): Promise<ControllerResult> {
  const host = `${d.prefix}-${n}c`;
  const dir = mkdtempSync(join(tmpdir(), `${host}-`));
  d.tmpDirs.push(dir);
  const spec = join(dir, 'spec');
  const state = join(dir, 'state');
  mkdirSync(spec);
  const write = (mtu: number): void => {
    for (const [f, text] of Object.entries(specFiles(n, mtu))) writeFileSync(join(spec, f), text);
  };
  const statusFile = join(state, `netns-${host}`, 'status.json');
  const result: ControllerResult = { n, saveMs: [], repairMs: [], rssKb: NaN, peakRssKb: NaN };
  let controller: ChildProcess | undefined;
  let monitor: LinkMonitor | undefined;
  const settle = Math.max(5_000, 20 * n);
  try {
    await d.freshHost(host);
    write(1400);
    await d.exec(process.execPath, [d.cli, 'reconcile', '--once', '--netns', host, '--state-dir', state, spec], undefined, { timeoutMs: 600_000 });
    monitor = new LinkMonitor(host);
    const c = spawn(process.execPath, [d.cli, 'reconcile', '--log-format', 'json', '--netns', host, '--state-dir', state, spec], { stdio: ['ignore', 'ignore', 'pipe'] });
    controller = c;
    let log = '';
    c.stderr!.setEncoding('utf8').on('data', (s: string) => (log = (log + s).slice(-4_000)));
    await quiet(statusFile, 300, 120_000 + settle);

    for (let i = 1; i <= EDITS; i++) {
      const mtu = 1400 + i;
      const applied = monitor.next((l) => / ws-probe: /.test(l) && l.includes(` mtu ${mtu} `), 30_000);
      const t0 = performance.now();
      write(mtu);
      result.saveMs.push((await applied) - t0);
      // Let the pass finish and its follow-up (the kernel events the apply caused) run before the next edit.
      await quiet(statusFile, 150, settle);
    }

    const veths = (await d.exec('ip', ['-n', host, '-o', 'link', 'show', 'master', 'ws-benchnet'])).stdout.match(/^\d+: (ws[0-9a-f]{8})@/gm)?.map((m) => m.split(' ')[1]!.slice(0, -1)) ?? [];
    for (let i = 0; i < REPAIRS && veths.length; i++) {
      const veth = veths[Math.floor((i * veths.length) / REPAIRS)]!;
      const m = monitor;
      const deleted = m.next((l) => l.startsWith('Deleted') && l.includes(` ${veth}@`), 10_000);
      // The first event naming the veth after its deletion: it exists again.
      const back = deleted.then((t0) => m.next((l) => !l.startsWith('Deleted') && l.includes(` ${veth}@`), 30_000).then((t1) => t1 - t0));
      await d.exec('ip', ['-n', host, 'link', 'del', veth]);
      result.repairMs.push(await back);
      await quiet(statusFile, 150, settle);
    }
    const mem = memoryKb(c.pid!);
    result.rssKb = mem.rss;
    result.peakRssKb = mem.peak;
    c.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => c.on('close', r));
    if (code !== 0) throw new Error(`the controller exited ${code} on SIGTERM: ${log.trim().split('\n').pop()}`);
  } catch (e) {
    result.error = (e as Error).message;
  } finally {
    monitor?.stop();
    if (controller && controller.exitCode === null) controller.kill('SIGKILL');
    await d.deleteNamespaces(d.under(host));
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/** Nearest-rank percentile of a non-empty list. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function controllerTable(results: ControllerResult[]): string {
  const head = ['N', 'save→applied p50', 'p99', 'repair p50', 'p99', 'max', 'RSS', 'peak RSS'];
  const ms = (v: number[], p: number): string => (v.length ? `${percentile(v, p).toFixed(0)} ms` : 'n/a');
  // MB (10^6 bytes), as the target is written.
  const mb = (kb: number): string => (Number.isFinite(kb) ? `${((kb * 1024) / 1e6).toFixed(0)} MB` : 'n/a');
  const rows = results.map((r) => [String(r.n), ms(r.saveMs, 50), ms(r.saveMs, 99), ms(r.repairMs, 50), ms(r.repairMs, 99), ms(r.repairMs, 100), mb(r.rssKb), mb(r.peakRssKb)]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => cell.padStart(widths[c]!)).join('  ');
  return [`controller: ${EDITS} edits, ${REPAIRS} repairs per N`, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One line per target, with the measured value and whether it is met. */
export function controllerVerdicts(results: ControllerResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.error || !r.saveMs.length) continue;
    const p50 = percentile(r.saveMs, 50);
    const worst = r.repairMs.length ? percentile(r.repairMs, 100) : NaN;
    out.push(`N=${r.n}: save→applied p50 ${p50.toFixed(0)} ms (target < ${TARGETS.saveP50Ms}): ${p50 < TARGETS.saveP50Ms ? 'met' : 'MISSED'}`);
    out.push(`N=${r.n}: slowest repair ${worst.toFixed(0)} ms after the event (target < ${TARGETS.repairMs}): ${worst < TARGETS.repairMs ? 'met' : 'MISSED'}`);
    const peakMb = (r.peakRssKb * 1024) / 1e6;
    out.push(`N=${r.n}: peak RSS ${peakMb.toFixed(0)} MB (target < ${TARGETS.memoryMb} MB): ${peakMb < TARGETS.memoryMb ? 'met' : 'MISSED'}`);
  }
  return out;
}
