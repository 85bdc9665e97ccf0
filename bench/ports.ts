// Published-ports benchmark (part of `npm run bench`, or alone: node dist/bench/ports.js):
// 1000 ports across 100 endpoints, published at once and then one of them changed, beside the
// floor of one iptables-restore carrying the same rules. wirestate's apply time is what its
// firewall work costs (WIRESTATE_TIMINGS); the whole pass also observes 100 namespaces.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, must } from './proc.js';

const ENDPOINTS = 100;
const PORTS_PER_ENDPOINT = 10;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'bin', 'wirestate.js');

function spec(changedPort: boolean): string {
  const eps: string[] = [];
  for (let e = 0; e < ENDPOINTS; e++) {
    const ports = Array.from({ length: PORTS_PER_ENDPOINT }, (_, j) => {
      const host = 20000 + e * PORTS_PER_ENDPOINT + j;
      return `"${changedPort && e === 0 && j === 0 ? 30000 : host}:${8000 + j}"`;
    });
    eps.push(`  p${String(e).padStart(3, '0')}: { networks: [benchnet], ports: [${ports.join(', ')}] }`);
  }
  return `networks:\n  benchnet: { subnet: 10.201.0.0/16, dns: false }\nendpoints:\n${eps.join('\n')}\nsettings: { defaultBridge: { enabled: false } }\n`;
}

/** The same DNAT and ACCEPT rules, in one iptables-restore: what the kernel work costs by itself. */
function floorRules(): string {
  const nat = ['*nat', ':BENCH-DNAT - [0:0]'];
  const filter = ['*filter', ':BENCH-PF - [0:0]'];
  for (let e = 0; e < ENDPOINTS; e++) {
    const ip = `10.201.0.${e + 2}`;
    for (let j = 0; j < PORTS_PER_ENDPOINT; j++) {
      nat.push(`-A BENCH-DNAT -p tcp -m tcp --dport ${20000 + e * PORTS_PER_ENDPOINT + j} -j DNAT --to-destination ${ip}:${8000 + j}`);
      filter.push(`-A BENCH-PF -d ${ip}/32 ! -i ws-benchnet -o ws-benchnet -p tcp -m tcp --dport ${8000 + j} -j ACCEPT`);
    }
  }
  return [...nat, 'COMMIT', ...filter, 'COMMIT', ''].join('\n');
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [Math.round(performance.now() - t), r];
}

const applyMs = (stderr: string): number => JSON.parse(/timings (\{.*\})/.exec(stderr)?.[1] ?? '{"apply":NaN}').apply;

async function main(): Promise<void> {
  const host = `wsbp-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'wirestate-bench-ports-'));
  const env = { ...process.env, WIRESTATE_TIMINGS: '1', NO_COLOR: '1' };
  const args = ['reconcile', '--once', '--netns', host, '--state-dir', join(dir, 'state'), join(dir, 'spec')];
  try {
    await must('ip', ['netns', 'add', host]);
    mkdirSync(join(dir, 'spec'));
    // Endpoints first, without ports, so the measured passes are about ports.
    writeFileSync(join(dir, 'spec', 's.yaml'), spec(false).replace(/, ports: \[[^\]]*\]/g, ''));
    await must('node', [cli, ...args], undefined, env);

    writeFileSync(join(dir, 'spec', 's.yaml'), spec(false));
    const [coldMs, cold] = await timed(() => must('node', [cli, ...args], undefined, env));
    writeFileSync(join(dir, 'spec', 's.yaml'), spec(true));
    const plan = JSON.parse((await exec('node', [cli, 'plan', '-o', 'json', ...args.slice(2)], undefined, env)).stdout) as { changes: { name: string; rules?: string[] }[] };
    const [oneMs, one] = await timed(() => must('node', [cli, ...args], undefined, env));

    const floorHost = `wsbf-${process.pid}`;
    await must('ip', ['netns', 'add', floorHost]);
    const [floorMs] = await timed(() => must('nsenter', [`--net=/run/netns/${floorHost}`, 'iptables-restore', '--noflush'], floorRules()));
    const oneEndpoint = floorRules()
      .split('\n')
      .filter((l) => !l.startsWith('-A') || l.includes('10.201.0.2:') || l.includes('-d 10.201.0.2/32'))
      .join('\n');
    const [floorOneMs] = await timed(() => must('nsenter', [`--net=/run/netns/${floorHost}`, 'iptables-restore', '--noflush'], oneEndpoint));
    await exec('ip', ['netns', 'del', floorHost]);

    const rewritten = plan.changes.reduce((n, c) => n + (c.rules?.length ?? 0), 0);
    console.log(`\npublished ports: ${ENDPOINTS * PORTS_PER_ENDPOINT} ports across ${ENDPOINTS} endpoints`);
    console.log('phase          wirestate pass ms  wirestate apply ms  floor ms  apply/floor');
    console.log(`publish all    ${String(coldMs).padStart(17)}  ${String(applyMs(cold.stderr)).padStart(18)}  ${String(floorMs).padStart(8)}  ${(applyMs(cold.stderr) / floorMs).toFixed(1).padStart(10)}×`);
    console.log(`change one     ${String(oneMs).padStart(17)}  ${String(applyMs(one.stderr)).padStart(18)}  ${String(floorOneMs).padStart(8)}  ${(applyMs(one.stderr) / floorOneMs).toFixed(1).padStart(10)}×`);
    console.log(`changing one port rewrote ${plan.changes.map((c) => c.name).join(', ')}: ${rewritten} rules (one endpoint has ${PORTS_PER_ENDPOINT} DNAT + ${PORTS_PER_ENDPOINT} ACCEPT)`);
  } finally {
    const names = (await exec('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n === host || n.startsWith(`${host}-`));
    await exec('ip', ['-force', '-batch', '-'], names.map((n) => `netns del ${n}\n`).join(''));
    // What wirestate keeps outside the namespaces: their /etc/netns files, the host's DNS runtime directory.
    for (const n of names) rmSync(`/etc/netns/${n}`, { recursive: true, force: true });
    rmSync(`/run/wirestate/netns-${host}`, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
