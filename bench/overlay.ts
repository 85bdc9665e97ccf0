// Overlay benchmark (part of `npm run bench`, or alone: node dist/bench/overlay.js): 8 simulated
// hosts on one underlay, 32 endpoints each on one overlay network. Measures the time until every
// host has converged (all reconciling at once, as real hosts would), one host's no-op pass, and
// the pass in which one host takes in an endpoint that another host added. Needs root; everything
// lives in throwaway namespaces named wsbo-<pid>-…, removed afterwards (also on failure).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, must, type Out } from './proc.js';

const HOSTS = 8;
const PER_HOST = 32;
const PREFIX = `wsbo-${process.pid}`;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'bin', 'wirestate.js');

const host = (i: number) => `${PREFIX}-h${i}`;
const address = (i: number) => `192.0.2.${10 + i}`;

function spec(extra: string[] = []): string {
  const hosts = Array.from({ length: HOSTS }, (_, i) => `  h${i}: { address: ${address(i)} }`);
  const eps = Array.from({ length: HOSTS * PER_HOST }, (_, n) => `  e${Math.floor(n / PER_HOST)}-${n % PER_HOST}: { host: h${Math.floor(n / PER_HOST)}, networks: [bench] }`);
  return `hosts:\n${hosts.join('\n')}\nnetworks:\n  bench: { driver: overlay, subnet: 10.60.0.0/16, internal: true, dns: false }\nendpoints:\n${[...eps, ...extra].join('\n')}\nsettings: { defaultBridge: { enabled: false } }\n`;
}

/** The hosts and the underlay bridge they all hang off, as machines on one LAN. */
async function underlay(): Promise<void> {
  const u = `${PREFIX}-u`;
  await must('ip', ['netns', 'add', u]);
  await must('ip', ['-n', u, '-batch', '-'], 'link add br0 type bridge\nlink set br0 up\n');
  for (let i = 0; i < HOSTS; i++) {
    await must('ip', ['netns', 'add', host(i)]);
    await must('ip', ['-n', u, '-batch', '-'], `link add u${i} type veth peer name eth0 netns ${host(i)}\nlink set u${i} master br0 up\n`);
    await must('ip', ['-n', host(i), '-batch', '-'], `link set lo up\nlink set eth0 addrgenmode none\naddr add ${address(i)}/24 dev eth0\nlink set eth0 up\n`);
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [Math.round(performance.now() - t), r];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wirestate-bench-overlay-'));
  const env = { ...process.env, WIRESTATE_TIMINGS: '1', NO_COLOR: '1' };
  const specDir = join(dir, 'spec');
  const args = (i: number, cmd = 'reconcile') => [cli, cmd, ...(cmd === 'reconcile' ? ['--once'] : []), '--netns', host(i), '--host', `h${i}`, '--state-dir', join(dir, 'state'), specDir];
  const all = Array.from({ length: HOSTS }, (_, i) => i);
  try {
    await underlay();
    mkdirSync(specDir);
    writeFileSync(join(specDir, 's.yaml'), spec());

    const [convergeMs, passes] = await timed(() => Promise.all(all.map((i) => timed(() => must('node', args(i), undefined, env)))));
    // A packet from the first host's first endpoint to the last host's last one: converged means working.
    const last = `e${HOSTS - 1}-${PER_HOST - 1}`;
    const target = /inet ([\d.]+)\//.exec((await must('ip', ['-n', `${host(HOSTS - 1)}-${last}`, '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout)?.[1] ?? '';
    await must('ip', ['netns', 'exec', `${host(0)}-e0-0`, 'ping', '-c1', '-W2', target]);

    const [noopMs] = await timed(() => must('node', args(0), undefined, env));

    writeFileSync(join(specDir, 's.yaml'), spec([`  newcomer: { host: h${HOSTS - 1}, networks: [bench] }`]));
    await must('node', args(HOSTS - 1), undefined, env);
    const plan = JSON.parse((await exec('node', [...args(0, 'plan'), '-o', 'json'], undefined, env)).stdout) as { changes: { kind: string }[] };
    const [takeInMs, takeIn] = await timed(() => must('node', args(0), undefined, env));
    const timing = (o: Out) => JSON.parse(/timings (\{.*\})/.exec(o.stderr)?.[1] ?? '{}') as { plan?: number; apply?: number; verify?: number };

    const slowest = Math.max(...passes.map(([ms]) => ms));
    console.log(`\noverlay: ${HOSTS} hosts × ${PER_HOST} endpoints on one overlay (${HOSTS * PER_HOST} endpoints)`);
    console.log('phase                                   ms   per host: plan / apply / verify ms');
    const t0 = timing(passes[0][1]);
    console.log(`all hosts converge (in parallel)  ${String(convergeMs).padStart(8)}   slowest pass ${slowest} ms; host 0: ${t0.plan} / ${t0.apply} / ${t0.verify}`);
    console.log(`one host, nothing to do           ${String(noopMs).padStart(8)}`);
    const t1 = timing(takeIn);
    console.log(`one host takes in a new remote    ${String(takeInMs).padStart(8)}   ${t1.plan} / ${t1.apply} / ${t1.verify}`);
    console.log(`taking in the newcomer planned ${plan.changes.map((c) => c.kind).join(' + ')}; each host holds ${(HOSTS - 1) * PER_HOST} remote entries of each kind`);
  } finally {
    // down takes away what lives outside the namespaces (the endpoints' files), then the namespaces go.
    await Promise.all(all.map((i) => exec('node', args(i, 'down'), undefined, env)));
    const names = (await exec('ip', ['netns', 'list'])).stdout
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => n.startsWith(`${PREFIX}-`));
    await exec('ip', ['-force', '-batch', '-'], names.map((n) => `netns del ${n}\n`).join(''));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
