// The DNS section of `npm run bench` (alone: `node dist/bench/run.js --only dns`). For each N:
//   - what the embedded DNS adds per endpoint: adding ADDED endpoints (N − ADDED → N) to a host
//     with the network's DNS on, minus the same on a host beside it with `dns: false`, over ADDED
//     (the two take turns, and the best of ADD_RUNS each counts: other load on the machine only
//     ever adds time); and a cold `reconcile --once` of N on each;
//   - the resolver's rate and latency: dnsperf inside one endpoint asking 127.0.0.11 for the
//     names of all N endpoints — as many queries per second as it answers (QPS), and p50/p99 at a
//     fixed offered load (LATENCY_QPS) from dnsperf's per-query report;
//   - beside it, where installed, podman's aardvark-dns serving the same names on the same machine,
//     asked the same way from an endpoint on its bridge (it listens on the bridge's address). The
//     two take turns, TRIALS runs each, and the medians are shown: the machine may be shared.
// Targets: under 5 ms per endpoint; at least aardvark's rate; p99 under 2 ms.
// Needs dnsperf (Debian package dnsperf); aardvark-dns is Debian's aardvark-dns. Every query goes
// to a resolver in a namespace of the bench's own; the host namespaces' resolv.conf names
// 127.0.0.1, so nothing is ever forwarded outside the machine.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchDeps } from './deps.js';

/** The shared dependencies, and a way to wait until the machine is quiet before measuring. */
export type DnsBenchDeps = BenchDeps & { waitIdle(floorMs: number, maxMs?: number): Promise<boolean> };

export interface Throughput {
  qps: number;
  p50Ms: number;
  p99Ms: number;
  lost: number;
}

export interface DnsResult {
  n: number;
  coldOffMs?: number;
  coldOnMs?: number;
  /** Adding ADDED endpoints to N: the best of ADD_RUNS. */
  addOffMs?: number;
  addOnMs?: number;
  wirestate?: Throughput;
  aardvark?: Throughput;
  notes: string[];
  error?: string;
}

export const TARGETS = { perEndpointMs: 5, p99Ms: 2 };
const AARDVARK = '/usr/lib/podman/aardvark-dns';
/** Seconds of each dnsperf run, and how many runs per server (the median is reported). */
const DURATION_S = 3;
const TRIALS = 5;
/** The rate run: queries in flight, from so many client sockets on two threads — enough that the server, not dnsperf, is what limits it. */
const OUTSTANDING = 500;
const CLIENTS = 16;
/** The offered load at which latency is measured: well under either server's rate. */
const LATENCY_QPS = 5_000;
const SUBNET = '10.205.0.0/16';
/** Endpoints added to N for the per-endpoint cost, and how many times. */
const ADDED = 50;
const ADD_RUNS = 3;

const endpoint = (i: number): string => `d${String(i).padStart(5, '0')}`;
/** Endpoint i's address on a /16, as IPAM hands them out in name order (.0.1 is the gateway). */
const addressOf = (i: number): string => `10.205.${(i + 1) >> 8}.${(i + 1) & 255}`;

function spec(dir: string, n: number, dns: boolean): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const eps = Array.from({ length: n }, (_, k) => `  ${endpoint(k + 1)}: { networks: [benchnet] }\n`).join('');
  writeFileSync(join(dir, 'spec.yaml'), `networks:\n  benchnet: { subnet: ${SUBNET}, dns: ${dns} }\nsettings: { defaultBridge: { enabled: false } }\nendpoints:\n${eps}`);
}

/** dnsperf's input: an A query for every endpoint name. */
function queryFile(n: number, dir: string): string {
  const file = join(dir, 'queries');
  writeFileSync(file, Array.from({ length: n }, (_, k) => `${endpoint(k + 1)} A\n`).join(''));
  return file;
}

/** Percentile of sorted numbers. */
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** dnsperf in `ns` against `server`: the rate at full load, then p50/p99 at LATENCY_QPS from its per-query (-v) lines. */
async function dnsperf(deps: DnsBenchDeps, ns: string, server: string, queries: string): Promise<Throughput> {
  const base = ['netns', 'exec', ns, 'dnsperf', '-s', server, '-d', queries, '-l', String(DURATION_S), '-t', '2'];
  const rate = await deps.exec('ip', [...base, '-T', '2', '-c', String(CLIENTS), '-q', String(OUTSTANDING)], undefined, { timeoutMs: 60_000 });
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(rate.stdout)?.[1] ?? NaN);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(rate.stdout)?.[1] ?? NaN);
  const timed = await deps.exec('ip', [...base, '-Q', String(LATENCY_QPS), '-v'], undefined, { timeoutMs: 60_000 });
  // "> NOERROR d00001 A 0.000123": the latency in seconds ends each answered query's line.
  const latencies = timed.stdout
    .split('\n')
    .filter((l) => l.startsWith('> ') && !/^> [TI] /.test(l))
    .map((l) => Number(l.trim().split(/\s+/).pop()) * 1000)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (!Number.isFinite(qps) || latencies.length === 0) throw new Error(`dnsperf against ${server} in ${ns} printed no result: ${(rate.stderr || rate.stdout).trim().slice(0, 300)}`);
  return { qps, p50Ms: pct(latencies, 50), p99Ms: pct(latencies, 99), lost };
}

async function timedCli(deps: DnsBenchDeps, args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await deps.exec(process.execPath, [deps.cli, ...args], undefined, { check: false });
  if (r.code !== 0) throw new Error(`wirestate ${args[0]} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return performance.now() - t0;
}

/** A host namespace whose resolv.conf (as wirestate and aardvark read it) names no real resolver. */
async function benchHost(deps: DnsBenchDeps, name: string): Promise<void> {
  await deps.freshHost(name);
  mkdirSync(`/etc/netns/${name}`, { recursive: true });
  writeFileSync(`/etc/netns/${name}/resolv.conf`, 'nameserver 127.0.0.1\n');
}

function removeHostFiles(name: string): void {
  rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  rmSync(`/run/wirestate/netns-${name}`, { recursive: true, force: true });
}

/** A resolver serving the N names, and where to ask it from. */
interface Server {
  who: 'wirestate' | 'aardvark';
  client: string;
  address: string;
  stop(): Promise<void>;
}

/** One wirestate host with N endpoints, DNS on or off. */
interface Deployment {
  dns: boolean;
  host: string;
  /** `wirestate ARGS… --netns HOST --state-dir … SPEC` with the spec at `count` endpoints. */
  pass(count: number): Promise<number>;
  stop(): Promise<void>;
}

function deployment(deps: DnsBenchDeps, n: number, dns: boolean, dir: string): Deployment {
  const host = `${deps.prefix}-${n}${dns ? 'on' : 'off'}`;
  const specDir = join(dir, `spec-${dns ? 'on' : 'off'}`);
  const flags = ['--netns', host, '--state-dir', join(dir, `state-${dns ? 'on' : 'off'}`), specDir];
  return {
    dns,
    host,
    pass(count) {
      spec(specDir, count, dns);
      return timedCli(deps, ['reconcile', '--once', ...flags]);
    },
    async stop() {
      await deps.exec(process.execPath, [deps.cli, 'down', ...flags], undefined, { check: false });
      await deps.deleteNamespaces(deps.under(host));
      removeHostFiles(host);
    },
  };
}

/**
 * Two hosts of N endpoints side by side, DNS off and on: a cold pass of each, then ADDED endpoints
 * added to each in turn, ADD_RUNS times, so that whatever else the machine does weighs on both.
 * Leaves the DNS-on host (N endpoints, the resolver running) for the query runs.
 */
async function deployWirestate(deps: DnsBenchDeps, n: number, r: DnsResult, dir: string): Promise<Server> {
  const [off, on] = [deployment(deps, n, false, dir), deployment(deps, n, true, dir)];
  try {
    for (const d of [off, on]) {
      await benchHost(deps, d.host);
      await deps.waitIdle(100, 10_000);
      const cold = await d.pass(n);
      if (d.dns) r.coldOnMs = cold;
      else r.coldOffMs = cold;
    }
    // From N − ADDED to N (a Linux bridge takes at most 1024 ports), or from N to N + ADDED for a small N.
    const [low, high] = n > ADDED ? [n - ADDED, n] : [n, n + ADDED];
    for (let run = 0; run < ADD_RUNS; run++) {
      for (const d of [off, on]) {
        await d.pass(low);
        await deps.waitIdle(100, 10_000);
        const add = await d.pass(high);
        if (d.dns) r.addOnMs = Math.min(r.addOnMs ?? Infinity, add);
        else r.addOffMs = Math.min(r.addOffMs ?? Infinity, add);
      }
    }
    await on.pass(n);
  } catch (e) {
    await on.stop();
    throw e;
  } finally {
    await off.stop();
  }
  return { who: 'wirestate', client: `${on.host}-${endpoint(1)}`, address: '127.0.0.11', stop: () => on.stop() };
}

/** aardvark-dns as podman runs it: on the bridge's address in the host namespace, one config file per network. */
async function deployAardvark(deps: DnsBenchDeps, n: number, dir: string): Promise<Server> {
  const host = `${deps.prefix}-${n}a`;
  const client = `${host}-client`;
  const config = join(dir, 'aardvark');
  mkdirSync(config);
  let pid: number | undefined;
  const stop = async (): Promise<void> => {
    if (pid) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await deps.deleteNamespaces([client, ...deps.under(host)]);
    removeHostFiles(host);
  };
  try {
    await benchHost(deps, host);
    await deps.exec('ip', ['netns', 'add', client]);
    await deps.exec('ip', ['-n', host, '-batch', '-'], ['link add br0 type bridge', 'addr add 10.205.0.1/16 dev br0', 'link set br0 up', `link add veth0 type veth peer name eth0 netns ${client}`, 'link set veth0 master br0 up'].map((l) => `${l}\n`).join(''));
    await deps.exec('ip', ['-n', client, '-batch', '-'], ['link set lo up', `addr add ${addressOf(1)}/16 dev eth0`, 'link set eth0 up'].map((l) => `${l}\n`).join(''));
    const entries = Array.from({ length: n }, (_, k) => `${(k + 1).toString(16).padStart(64, '0')} ${addressOf(k + 1)}  ${endpoint(k + 1)}\n`);
    writeFileSync(join(config, 'benchnet'), `10.205.0.1\n${entries.join('')}`);
    // It puts itself in the background and says where: its pid file.
    await deps.exec('ip', ['netns', 'exec', host, AARDVARK, '--config', config, '-p', '53', 'run'], undefined, { timeoutMs: 10_000 });
    for (let i = 0; i < 50 && pid === undefined; i++) {
      if (existsSync(join(config, 'aardvark.pid'))) pid = Number(readFileSync(join(config, 'aardvark.pid'), 'utf8').trim());
      else await new Promise((res) => setTimeout(res, 100));
    }
    if (!pid) throw new Error('aardvark-dns did not start (no aardvark.pid)');
    // wirestate's resolver runs at nice -5 (src/dns/run.ts): the same for aardvark, so only the servers differ.
    setPriority(pid, -5);
  } catch (e) {
    await stop();
    throw e;
  }
  return { who: 'aardvark', client, address: '10.205.0.1', stop };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** The servers take turns, TRIALS times, each run after the machine settles: a load that comes and goes hits both alike. */
async function compare(deps: DnsBenchDeps, servers: Server[], queries: string, r: DnsResult): Promise<void> {
  const runs = new Map<Server['who'], Throughput[]>();
  for (let t = 0; t < TRIALS; t++) {
    for (const s of servers) {
      await deps.waitIdle(100, 5_000);
      runs.set(s.who, [...(runs.get(s.who) ?? []), await dnsperf(deps, s.client, s.address, queries)]);
    }
  }
  for (const [who, ts] of runs) {
    r[who] = { qps: median(ts.map((t) => t.qps)), p50Ms: median(ts.map((t) => t.p50Ms)), p99Ms: median(ts.map((t) => t.p99Ms)), lost: ts.reduce((a, t) => a + t.lost, 0) };
  }
}

export async function runDnsBench(n: number, deps: DnsBenchDeps): Promise<DnsResult> {
  const r: DnsResult = { n, notes: [] };
  const dir = mkdtempSync(join(tmpdir(), `${deps.prefix}-${n}dns-`));
  deps.tmpDirs.push(dir);
  const servers: Server[] = [];
  try {
    servers.push(await deployWirestate(deps, n, r, dir));
    if (existsSync(AARDVARK)) servers.push(await deployAardvark(deps, n, dir));
    else r.notes.push(`${AARDVARK} not installed (Debian package aardvark-dns): no comparison`);
    await compare(deps, servers, queryFile(n, dir), r);
  } catch (e) {
    r.error = (e as Error).message;
  } finally {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return r;
}

const f = (x: number | undefined, digits = 0): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));

/** What one more endpoint costs with DNS on: adding ADDED endpoints on − off, over ADDED. */
const perEndpoint = (r: DnsResult): number | undefined => (r.addOnMs !== undefined && r.addOffMs !== undefined ? (r.addOnMs - r.addOffMs) / ADDED : undefined);

export function dnsTable(results: DnsResult[]): string {
  const head = ['N', 'cold off ms', 'cold on ms', `add ${ADDED} off`, `add ${ADDED} on`, 'DNS ms/endpoint', 'server', 'QPS', 'p50 ms', 'p99 ms', 'lost'];
  const rows: string[][] = [];
  for (const r of results) {
    for (const [who, t] of [['wirestate', r.wirestate], ['aardvark', r.aardvark]] as const) {
      if (!t && who === 'aardvark') continue;
      const first = who === 'wirestate';
      rows.push([
        first ? String(r.n) : '',
        first ? f(r.coldOffMs) : '',
        first ? f(r.coldOnMs) : '',
        first ? f(r.addOffMs) : '',
        first ? f(r.addOnMs) : '',
        first ? f(perEndpoint(r), 2) : '',
        who,
        f(t?.qps),
        f(t?.p50Ms, 3),
        f(t?.p99Ms, 3),
        f(t?.lost),
      ]);
    }
  }
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 6 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [`embedded DNS (both servers at nice -5; median of ${TRIALS} runs of ${DURATION_S} s each, taking turns: rate with ${OUTSTANDING} queries in flight, latency at ${LATENCY_QPS} queries/s offered)`, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function dnsVerdicts(results: DnsResult[]): string[] {
  const out: string[] = [];
  const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
  for (const r of results) {
    const per = perEndpoint(r);
    if (per !== undefined) out.push(`N=${r.n} DNS cost per added endpoint: ${per.toFixed(2)} ms (target < ${TARGETS.perEndpointMs}) ${verdict(per < TARGETS.perEndpointMs)}`);
    if (r.wirestate) {
      out.push(`N=${r.n} DNS p99: ${r.wirestate.p99Ms.toFixed(3)} ms (target < ${TARGETS.p99Ms}) ${verdict(r.wirestate.p99Ms < TARGETS.p99Ms)}`);
      if (r.aardvark) out.push(`N=${r.n} DNS rate: ${f(r.wirestate.qps)} vs aardvark ${f(r.aardvark.qps)} queries/s ${verdict(r.wirestate.qps >= r.aardvark.qps)}`);
    }
    for (const note of r.notes) out.push(`N=${r.n} note: ${note}`);
  }
  return out;
}
