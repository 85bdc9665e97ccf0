// `npm run bench` — how long wirestate takes to create, re-check, grow and remove N endpoints, next
// to a "floor": the same kernel objects made and read directly with the fewest `ip` /
// `iptables-restore` spawns we know how to write. The ratio is wirestate's overhead.
//
//   npm run bench                                  # N = 10, 100, 1000
//   npm run bench -- --sizes 10,100 --only floor   # floor only (wirestate | floor | both | controller | all)
//   npm run bench -- --json bench.json             # also write the results as JSON
//
// The controller section (bench/controller.ts) measures `wirestate reconcile` running as the
// controller: save → applied and repair latencies, and its memory. The dns section (bench/dns.ts)
// measures what the embedded DNS adds per endpoint and the resolver's rate and latency, beside
// podman's aardvark-dns where it is installed.
//
// Needs root. Everything happens in throwaway namespaces named ws-b<pid>-…, deleted afterwards
// (also on failure and on Ctrl-C); the namespace the bench runs in is never changed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type ControllerResult, controllerTable, controllerVerdicts, runControllerBench } from './controller.js';
import { type DnsResult, dnsTable, dnsVerdicts, runDnsBench } from './dns.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(repoRoot, 'bin', 'wirestate.js');
const cliBuilt = existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'));
const TIME = '/usr/bin/time';
const PREFIX = `ws-b${process.pid}`;
const NETWORK = 'benchnet';
const BRIDGE = 'ws-benchnet';
const SUBNET = '10.200.0.0/16';
const GATEWAY = '10.200.0.1';
const CONCURRENCY = 2 * availableParallelism();
const PHASES = ['cold', 'no-op', 'add one', 'down'] as const;
type Phase = (typeof PHASES)[number];

interface Measure {
  ms: number;
  /** Peak RSS in KiB of the measured process (wirestate only; null when /usr/bin/time is missing). */
  rssKb?: number | null;
  error?: string;
}
type PhaseResults = Partial<Record<Phase, Measure>>;
type Results = Map<number, { wirestate: PhaseResults; floor: PhaseResults; notes: string[] }>;

// ---------------------------------------------------------------------------------------------
// processes

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded: SIGKILL after timeoutMs); throws on a non-zero exit unless `check` is false. */
function exec(cmd: string, args: readonly string[], input?: string, { timeoutMs = 600_000, check = true } = {}): Promise<Out> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(input);
    }
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const out = { code: code ?? 128, stdout, stderr };
      if (check && code !== 0) {
        const line = [cmd, ...args].join(' ');
        reject(new Error(`${line.length > 120 ? line.slice(0, 117) + '...' : line} -> ${signal ?? code}: ${(stderr || stdout).trim().slice(0, 800)}`));
      } else resolvePromise(out);
    });
  });
}

const ipBatch = (lines: readonly string[], ...opts: string[]): Promise<Out> => exec('ip', [...opts, '-batch', '-'], lines.map((l) => l + '\n').join(''));

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function timed(fn: () => Promise<unknown>): Promise<Measure> {
  const t0 = performance.now();
  try {
    await fn();
    return { ms: performance.now() - t0 };
  } catch (err) {
    return { ms: performance.now() - t0, error: (err as Error).message };
  }
}

// ---------------------------------------------------------------------------------------------
// namespaces and waiting

function namespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** `name` and everything named `name-…`. */
const under = (name: string): string[] => namespaces().filter((n) => n === name || n.startsWith(name + '-'));

/** Ends processes inside the namespaces (only ours can be there), then deletes them. */
async function deleteNamespaces(names: readonly string[]): Promise<void> {
  if (!names.length) return;
  const pids = new Set<number>();
  for (const ns of names) {
    const r = await exec('ip', ['netns', 'pids', ns], undefined, { check: false, timeoutMs: 10_000 });
    for (const w of r.stdout.split(/\s+/)) if (/^\d+$/.test(w) && Number(w) > 1 && Number(w) !== process.pid) pids.add(Number(w));
  }
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    if (!pids.size) break;
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        pids.delete(pid);
      }
    }
    await sleep(sig === 'SIGTERM' ? 1_000 : 100);
  }
  await exec('ip', ['-force', '-batch', '-'], names.map((n) => `netns del ${n}\n`).join(''), { check: false });
}

/** Synchronous last-resort cleanup for exit paths (Ctrl-C): every namespace this process named. */
function cleanupAllSync(): void {
  const mine = namespaces().filter((n) => n.startsWith(PREFIX + '-'));
  if (mine.length) spawnSync('ip', ['-force', '-batch', '-'], { input: mine.map((n) => `netns del ${n}\n`).join(''), timeout: 120_000 });
  // What wirestate keeps outside the namespaces, should a run end before its `down`: endpoint files, DNS runtime directories.
  for (const [dir, prefix] of [['/etc/netns', `${PREFIX}-`], ['/run/wirestate', `netns-${PREFIX}-`]] as const) {
    for (const d of existsSync(dir) ? readdirSync(dir) : []) if (d.startsWith(prefix)) rmSync(join(dir, d), { recursive: true, force: true });
  }
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
}
const tmpDirs: string[] = [];

function cpuTimes(): { idle: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: cpu[3]! + (cpu[4] ?? 0), total: cpu.reduce((a, b) => a + b, 0) };
}

/**
 * The kernel dismantles deleted namespaces asynchronously (~2 ms each, in kworkers): wait
 * `floorMs`, then until the machine is ≥ 80% idle for two 250 ms samples in a row, at most `maxMs`.
 * Returns false when it never settled (another load on the machine).
 */
async function waitIdle(floorMs: number, maxMs = 30_000): Promise<boolean> {
  await sleep(floorMs);
  const deadline = Date.now() + maxMs;
  let calm = 0;
  let prev = cpuTimes();
  while (Date.now() < deadline) {
    await sleep(250);
    const cur = cpuTimes();
    const total = cur.total - prev.total;
    calm = total > 0 && (cur.idle - prev.idle) / total >= 0.8 ? calm + 1 : 0;
    prev = cur;
    if (calm >= 2) return true;
  }
  return false;
}

async function freshHost(name: string): Promise<void> {
  await deleteNamespaces(under(name));
  await exec('ip', ['netns', 'add', name]);
  await exec('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

// ---------------------------------------------------------------------------------------------
// the desired state, and the floor's view of the same objects

const endpointName = (i: number, n: number): string => 'e' + String(i).padStart(Math.max(4, String(n + 1).length), '0');

function specFiles(n: number): Record<string, string> {
  const eps = Array.from({ length: n }, (_, k) => `  ${endpointName(k + 1, n)}: { networks: [${NETWORK}] }\n`).join('');
  return {
    'networks.yaml':
      `# bench: one user bridge network; embedded DNS off (the floor starts no resolver)\n` +
      `networks:\n  ${NETWORK}: { subnet: ${SUBNET}, dns: false }\n` +
      `settings:\n  defaultBridge: { enabled: false }\n`,
    'endpoints.yaml': `endpoints:\n${eps}`,
  };
}

function writeSpec(dir: string, n: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(specFiles(n))) writeFileSync(join(dir, f), text);
}

/** Endpoint i (1-based) gets 10.200.0.1 + i, a MAC made from it the way Docker does (02:42 + address). */
function endpointAddr(i: number): { ip: string; mac: string; veth: string } {
  const k = i + 1;
  const bytes = [10, 200, (k >> 8) & 255, k & 255];
  const hex = (b: number): string => b.toString(16).padStart(2, '0');
  return { ip: bytes.join('.'), mac: ['02', '42', ...bytes.map(hex)].join(':'), veth: `ws${i.toString(16).padStart(8, '0')}` };
}

const J = '-m comment --comment wirestate';
const FILTER_UP = [
  '*filter',
  ':WIRESTATE-USER - [0:0]',
  ':WIRESTATE-FORWARD - [0:0]',
  ':WIRESTATE-ISOLATION - [0:0]',
  `-I FORWARD 1 ${J} -j WIRESTATE-FORWARD`,
  `-I FORWARD 1 ${J} -j WIRESTATE-USER`,
  '-A WIRESTATE-FORWARD -j WIRESTATE-ISOLATION',
  `-A WIRESTATE-FORWARD -o ${BRIDGE} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  `-A WIRESTATE-FORWARD -i ${BRIDGE} ! -o ${BRIDGE} -j ACCEPT`,
  `-A WIRESTATE-FORWARD -i ${BRIDGE} -o ${BRIDGE} -j ACCEPT`,
  '-A WIRESTATE-ISOLATION -j RETURN',
  'COMMIT',
  '*nat',
  ':WIRESTATE-USER - [0:0]',
  ':WIRESTATE-DNAT - [0:0]',
  ':WIRESTATE-POSTROUTING - [0:0]',
  `-I PREROUTING 1 -m addrtype --dst-type LOCAL ${J} -j WIRESTATE-DNAT`,
  `-I PREROUTING 1 ${J} -j WIRESTATE-USER`,
  `-I OUTPUT 1 ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL ${J} -j WIRESTATE-DNAT`,
  `-I POSTROUTING 1 ${J} -j WIRESTATE-POSTROUTING`,
  `-A WIRESTATE-DNAT -i ${BRIDGE} -j RETURN`,
  `-A WIRESTATE-POSTROUTING -s ${SUBNET} ! -o ${BRIDGE} -j MASQUERADE`,
  'COMMIT',
];
const FILTER_DOWN = [
  '*filter',
  `-D FORWARD ${J} -j WIRESTATE-USER`,
  `-D FORWARD ${J} -j WIRESTATE-FORWARD`,
  '-F WIRESTATE-FORWARD',
  '-F WIRESTATE-ISOLATION',
  '-X WIRESTATE-FORWARD',
  '-X WIRESTATE-ISOLATION',
  'COMMIT',
  '*nat',
  `-D PREROUTING ${J} -j WIRESTATE-USER`,
  `-D PREROUTING -m addrtype --dst-type LOCAL ${J} -j WIRESTATE-DNAT`,
  `-D OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL ${J} -j WIRESTATE-DNAT`,
  `-D POSTROUTING ${J} -j WIRESTATE-POSTROUTING`,
  '-F WIRESTATE-DNAT',
  '-F WIRESTATE-POSTROUTING',
  '-X WIRESTATE-DNAT',
  '-X WIRESTATE-POSTROUTING',
  'COMMIT',
];

/** Host-side lines creating endpoint i's veth pair straight into its namespace and enslaving it. */
function hostLines(host: string, i: number, n: number): string[] {
  const { mac, veth } = endpointAddr(i);
  return [
    `link add ${veth} type veth peer name eth0 netns ${host}-${endpointName(i, n)} address ${mac}`,
    `link set ${veth} master ${BRIDGE} addrgenmode none up`,
  ];
}

/** Endpoint i's own namespace: one `ip -n NS -batch -`. */
function endpointSetup(host: string, i: number, n: number): Promise<Out> {
  return ipBatch(
    ['link set lo up', 'link set eth0 addrgenmode none up', `addr add ${endpointAddr(i).ip}/16 dev eth0`, `route add default via ${GATEWAY}`],
    '-n',
    `${host}-${endpointName(i, n)}`,
  );
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);

async function floorCold(host: string, n: number, steps: string[]): Promise<void> {
  let t = performance.now();
  const step = (what: string): void => {
    const now = performance.now();
    steps.push(`${what} ${(now - t).toFixed(0)} ms`);
    t = now;
  };
  await ipBatch(range(1, n).map((i) => `netns add ${host}-${endpointName(i, n)}`));
  step('netns add');
  await ipBatch(
    [
      `link add ${BRIDGE} type bridge`,
      // Before up, in its own command: combined with `up` the bridge gets an IPv6 link-local first.
      `link set ${BRIDGE} addrgenmode none`,
      `addr add ${GATEWAY}/16 dev ${BRIDGE}`,
      `link set ${BRIDGE} up`,
      ...range(1, n).flatMap((i) => hostLines(host, i, n)),
    ],
    '-n',
    host,
  );
  step('bridge + veths');
  await pool(range(1, n), CONCURRENCY, (i) => endpointSetup(host, i, n));
  step('per-endpoint batches');
  await exec('ip', ['netns', 'exec', host, 'iptables-restore', '--noflush'], FILTER_UP.join('\n') + '\n');
  step('iptables-restore');
}

/** What a no-op pass must read: every namespace's links, addresses and routes, and the firewall. */
async function floorObserve(host: string, n: number): Promise<void> {
  const reads: Array<() => Promise<unknown>> = [
    () => exec('ip', ['netns', 'exec', host, 'iptables-save']),
    ...[host, ...range(1, n).map((i) => `${host}-${endpointName(i, n)}`)].map(
      (ns) => () => ipBatch(['link show', 'addr show', 'route show'], '-n', ns, '-j', '-d'),
    ),
  ];
  await pool(reads, CONCURRENCY, (read) => read());
}

async function floorAddOne(host: string, n: number): Promise<void> {
  const i = n + 1;
  await ipBatch([`netns add ${host}-${endpointName(i, n)}`]);
  await ipBatch(hostLines(host, i, n), '-n', host);
  await endpointSetup(host, i, n);
}

async function floorDown(host: string, count: number, n: number): Promise<void> {
  await ipBatch(range(1, count).map((i) => `netns del ${host}-${endpointName(i, n)}`));
  // The veths go when the kernel dismantles each namespace: done when the bridge has no ports left.
  const deadline = Date.now() + 300_000;
  for (;;) {
    const r = await exec('ip', ['-n', host, '-j', 'link', 'show', 'master', BRIDGE]);
    if ((JSON.parse(r.stdout || '[]') as unknown[]).length === 0) break;
    if (Date.now() > deadline) throw new Error('veths still on the bridge after 300 s');
    await sleep(20);
  }
  await ipBatch([`link del ${BRIDGE}`], '-n', host);
  await exec('ip', ['netns', 'exec', host, 'iptables-restore', '--noflush'], FILTER_DOWN.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------------
// the two contestants

async function runFloor(n: number, results: PhaseResults, notes: string[]): Promise<void> {
  const host = `${PREFIX}-${n}f`;
  try {
    await freshHost(host);
    const steps: string[] = [];
    results['cold'] = await timed(() => floorCold(host, n, steps));
    notes.push(`floor cold: ${steps.join(', ')}`);
    if (results['cold'].error) return;
    // Untimed: the floor built a working network (first and last endpoint reach the gateway).
    for (const i of new Set([1, n])) {
      const ping = await exec('ip', ['netns', 'exec', `${host}-${endpointName(i, n)}`, 'ping', '-c1', '-W1', '-n', '-q', GATEWAY], undefined, { check: false });
      if (ping.code !== 0) notes.push(`floor: ${endpointName(i, n)} cannot ping the gateway ${GATEWAY}`);
    }
    await waitIdle(100, 10_000);
    results['no-op'] = await timed(() => floorObserve(host, n));
    await waitIdle(100, 10_000);
    results['add one'] = await timed(() => floorAddOne(host, n));
    await waitIdle(100, 10_000);
    results['down'] = await timed(() => floorDown(host, n + 1, n));
  } finally {
    await deleteNamespaces(under(host));
    if (!(await waitIdle(2 * n))) notes.push('floor: the machine did not go idle after teardown');
  }
}

async function wirestate(args: string[]): Promise<Measure> {
  const haveTime = existsSync(TIME);
  const rssFile = join(tmpdir(), `${PREFIX}-rss`);
  const [cmd, argv] = haveTime ? [TIME, ['-f', '%M', '-o', rssFile, process.execPath, cli, ...args]] : [process.execPath, [cli, ...args]];
  const t0 = performance.now();
  const r = await exec(cmd, argv, undefined, { check: false });
  const ms = performance.now() - t0;
  let rssKb: number | null = null;
  if (haveTime && existsSync(rssFile)) {
    const last = readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '';
    rssKb = /^\d+$/.test(last) ? Number(last) : null;
    rmSync(rssFile, { force: true });
  }
  const m: Measure = { ms, rssKb };
  if (r.code !== 0) {
    const lines = (r.stderr || r.stdout).split('\n').map((l) => l.trim()).filter(Boolean);
    m.error = `wirestate ${args[0]} exited ${r.code}: ${lines.find((l) => /error/i.test(l)) ?? lines.pop() ?? 'no output'}`;
  }
  return m;
}

async function runWirestate(n: number, results: PhaseResults, notes: string[]): Promise<void> {
  const host = `${PREFIX}-${n}w`;
  const dir = mkdtempSync(join(tmpdir(), `${host}-`));
  tmpDirs.push(dir);
  const spec = join(dir, 'spec');
  const state = join(dir, 'state');
  mkdirSync(state);
  const flags = ['--netns', host, '--state-dir', state, spec];
  try {
    await freshHost(host);
    writeSpec(spec, n);
    for (const phase of PHASES) {
      if (phase === 'add one') writeSpec(spec, n + 1);
      await waitIdle(phase === 'cold' ? 0 : 100, 10_000);
      const m = await wirestate(phase === 'down' ? ['down', ...flags] : ['reconcile', '--once', ...flags]);
      results[phase] = m;
      if (m.error) break;
    }
    const left = under(host).filter((ns) => ns !== host);
    if (results['down'] && !results['down'].error && left.length) notes.push(`wirestate: ${left.length} namespaces left after down`);
  } finally {
    await deleteNamespaces(under(host));
    rmSync(dir, { recursive: true, force: true });
    if (!(await waitIdle(2 * n))) notes.push('wirestate: the machine did not go idle after teardown');
  }
}

// ---------------------------------------------------------------------------------------------
// report

function table(results: Results): string {
  const head = ['N', 'phase', 'wirestate ms', 'floor ms', 'ratio', 'wirestate ms/N', 'floor ms/N', 'wirestate peak RSS'];
  const rows: string[][] = [];
  const ms = (m?: Measure): string => (!m ? 'n/a' : m.error ? 'FAILED' : m.ms.toFixed(0));
  const perN = (m: Measure | undefined, n: number): string => (!m || m.error ? 'n/a' : (m.ms / n).toFixed(2));
  for (const [n, r] of results) {
    for (const phase of PHASES) {
      const w = r.wirestate[phase];
      const f = r.floor[phase];
      const ratio = w && f && !w.error && !f.error && f.ms > 0 ? (w.ms / f.ms).toFixed(1) + '×' : 'n/a';
      const rss = w?.rssKb ? `${(w.rssKb / 1024).toFixed(0)} MiB` : 'n/a';
      rows.push([String(n), phase, ms(w), ms(f), ratio, perN(w, n), perN(f, n), rss]);
    }
  }
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10,100,1000' },
      only: { type: 'string', default: 'all' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: npm run bench -- [--sizes 10,100,1000] [--only all|both|wirestate|floor|controller|dns] [--json FILE]');
    return 0;
  }
  const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 60_000)) throw new Error(`--sizes: "${values.sizes}" is not a list of endpoint counts (1..60000)`);
  if (!['all', 'both', 'wirestate', 'floor', 'controller', 'dns'].includes(values.only)) throw new Error(`--only: "${values.only}" is not all, both, wirestate, floor, controller or dns`);
  if (process.getuid?.() !== 0) throw new Error('the bench creates network namespaces: run it as root');

  const doWirestate = ['all', 'both', 'wirestate'].includes(values.only);
  const doFloor = ['all', 'both', 'floor'].includes(values.only);
  const doController = ['all', 'controller'].includes(values.only);
  const doDns = ['all', 'dns'].includes(values.only);
  const notes: string[] = [];
  if (doWirestate && !cliBuilt) notes.push(`wirestate: ${cli} has no built CLI (dist/src/cli/main.js): measured the floor only`);
  if (!existsSync(TIME)) notes.push(`${TIME} not found (Debian package "time"): peak RSS not measured`);

  console.log(`wirestate bench — ${new Date().toISOString()} — Linux ${release()}, ${availableParallelism()} cores, node ${process.version}, floor concurrency ${CONCURRENCY}`);
  const results: Results = new Map();
  const controllerResults: ControllerResult[] = [];
  const dnsResults: DnsResult[] = [];
  for (const n of sizes) {
    const r = { wirestate: {} as PhaseResults, floor: {} as PhaseResults, notes: [] as string[] };
    results.set(n, r);
    process.stderr.write(`N=${n}: `);
    if (doWirestate && cliBuilt) {
      process.stderr.write('wirestate… ');
      await runWirestate(n, r.wirestate, r.notes);
    }
    if (doFloor) {
      process.stderr.write('floor… ');
      await runFloor(n, r.floor, r.notes);
    }
    if (doController && cliBuilt) {
      process.stderr.write('controller… ');
      controllerResults.push(await runControllerBench(n, { prefix: PREFIX, cli, freshHost, under, deleteNamespaces, exec, tmpDirs }));
      await waitIdle(2 * n);
    }
    if (doDns && cliBuilt) {
      process.stderr.write('dns… ');
      dnsResults.push(await runDnsBench(n, { prefix: PREFIX, cli, freshHost, under, deleteNamespaces, exec, waitIdle, tmpDirs }));
    }
    process.stderr.write('done\n');
  }

  if (doWirestate || doFloor) {
    console.log('');
    console.log(table(results));
  }
  if (controllerResults.length) {
    console.log('');
    console.log(controllerTable(controllerResults));
    for (const v of controllerVerdicts(controllerResults)) console.log(v);
  }
  if (dnsResults.length) {
    console.log('');
    console.log(dnsTable(dnsResults));
    for (const v of dnsVerdicts(dnsResults)) console.log(v);
  }
  const failures: string[] = [];
  for (const [n, r] of results) {
    for (const [who, phases] of [['wirestate', r.wirestate], ['floor', r.floor]] as const) {
      for (const [phase, m] of Object.entries(phases)) if (m?.error) failures.push(`N=${n} ${who} ${phase}: ${m.error}`);
    }
    for (const note of r.notes) notes.push(`N=${n} ${note}`);
  }
  for (const c of controllerResults) if (c.error) failures.push(`N=${c.n} controller: ${c.error}`);
  for (const d of dnsResults) if (d.error) failures.push(`N=${d.n} dns: ${d.error}`);
  if (notes.length || failures.length) console.log('');
  for (const note of notes) console.log(`note: ${note}`);
  for (const f of failures) console.log(`FAILED: ${f}`);
  if (values.json) {
    const doc = Object.fromEntries([...results].map(([n, r]) => [n, r]));
    writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), kernel: release(), cores: availableParallelism(), results: doc, controller: controllerResults, dns: dnsResults, notes, failures }, null, 2) + '\n');
  }
  return failures.length ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    cleanupAllSync();
    process.exit(130);
  });
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err: unknown) => {
    console.error(`bench: ${(err as Error).message}`);
    process.exitCode = 1;
  })
  .finally(cleanupAllSync);
