// The controller (`wirestate reconcile` without --once) against a throwaway host namespace: spec
// files added, edited, broken and fixed, bursts of saves, hand-made damage repaired from kernel
// events and at resync, SIGHUP, metrics, status, the report-only mode, and clean stops. On an
// overlay host: forwarding entries, neighbours and IPsec policies repaired from their events,
// traffic that must not cause passes, and the key files the spec names.
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostVethName, vxlanName, xfrmTagOf } from '../../src/reconcile/names.js';
import { loadSpec } from '../../src/spec/index.js';
import { specDigest } from '../../src/watch/digest.js';
import { MONITOR_READY_MS } from '../../src/watch/observe-scope.js';
import { type Controller, type HostNs, inNs, joinUnderlay, makeHostNs, mustRun, requireRoot, run, runCli, sleep, startController } from './helpers/index.js';

const kernel = requireRoot();

const NET = (extra = '') => `networks:\n  alpha: { subnet: 10.81.0.0/24${extra} }\nsettings: { defaultBridge: { enabled: false } }\n`;
const mtuOf = async (ns: string, dev: string): Promise<number | undefined> => {
  const r = await run('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev]);
  return r.code === 0 ? (JSON.parse(r.stdout) as { mtu: number }[])[0]?.mtu : undefined;
};
const addrsOf = async (ns: string, dev: string): Promise<string[]> => {
  const r = await run('ip', ['-n', ns, '-4', '-j', 'addr', 'show', 'dev', dev]);
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
};
const linkExists = async (ns: string, dev: string): Promise<boolean> => (await run('ip', ['-n', ns, 'link', 'show', 'dev', dev])).code === 0;

/** Everything a pass could change, in a form that compares equal when nothing did. */
async function snapshot(namespaces: string[]): Promise<string> {
  const out: string[] = [];
  for (const ns of namespaces) {
    for (const what of [['-o', 'link', 'show'], ['-o', 'addr', 'show'], ['route', 'show']]) out.push((await mustRun('ip', ['-n', ns, ...what])).stdout);
  }
  const save = (await mustRun('ip', ['netns', 'exec', namespaces[0]!, 'iptables-save'])).stdout;
  out.push(save.replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, ''));
  return out.join('\n');
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe.skipIf(!kernel)('the controller', () => {
  let host: HostNs;
  let dir: string;
  let ctl: Controller;
  const flags = () => ['--netns', host.name, '--state-dir', host.stateDir];
  const ns = (e: string) => `${host.name}-${e}`;
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);

  beforeAll(async () => {
    host = await makeHostNs('ctl');
    dir = host.writeSpec({ 'net.yaml': NET() });
    ctl = await startController([...flags(), '--resync', '2s', '--metrics-addr', '127.0.0.1:0', dir], { stateDir: host.stateDir, hostNetns: host.name });
  });
  afterAll(async () => {
    await ctl?.kill();
    await host?.cleanup();
  });

  it('converges at start and says so in `wirestate status`', async () => {
    await ctl.until('Ready', () => ctl.condition('Ready') === 'Ready True Converged');
    expect(await linkExists(host.name, 'ws-alpha')).toBe(true);
    const s = await runCli(['status', ...flags()]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout.split('\n').slice(0, 2)).toEqual([`wirestate controller of host namespace ${host.name}`, `  state:    running (pid ${ctl.pid}) since ${ctl.status()!.startedAt}`]);
    expect(s.stdout).toMatch(/^Ready +True +Converged +\S+ +the kernel matches the spec \(sha256:[0-9a-f]{12}\)$/m);
    const j = await runCli(['status', ...flags(), '-o', 'json']);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({ running: true, pid: ctl.pid, dir, hostNetns: host.name, mode: 'heal', resyncMs: 2_000, specErrors: [] });
    expect(doc.lastAppliedDigest).toBe(specDigest(((await loadSpec(dir)) as { spec: Parameters<typeof specDigest>[0] }).spec));
    expect(doc.passes.at(-1).trigger).toEqual(['start']);
    expect(doc.passes.at(-1)).not.toHaveProperty('error');
  });

  it('applies a new spec file', async () => {
    write('web.yaml', 'endpoints:\n  web: { networks: [alpha] }\n');
    const ms = await ctl.until('web to exist', async () => (await addrsOf(ns('web'), 'eth0')).includes('10.81.0.2/24'));
    expect(ms).toBeLessThan(3_000);
    // The pass logs once it has verified, a little after the kernel changed.
    const applied = () => ctl.logs().find((l) => l.msg.startsWith('applied') && (l.changes as string[]).includes(`create namespace ${ns('web')} [${ns('web')}]`));
    await ctl.until('the pass to be logged', () => applied() !== undefined);
    expect(applied()!.trigger).toEqual(['file']);
  });

  it("applies edits: a network's MTU, and a new endpoint", async () => {
    write('net.yaml', NET(', mtu: 1400'));
    write('web.yaml', 'endpoints:\n  web: { networks: [alpha] }\n  api: { networks: [alpha] }\n');
    await ctl.until('mtu 1400 and api', async () => (await mtuOf(host.name, 'ws-alpha')) === 1400 && (await mtuOf(ns('api'), 'eth0')) === 1400 && (await mtuOf(ns('web'), 'eth0')) === 1400);
    expect(await addrsOf(ns('api'), 'eth0')).toEqual(['10.81.0.3/24']);
  });

  it('changes nothing for an invalid edit, reports it with file:line:col, and applies the next valid edit', async () => {
    await ctl.quiet();
    const before = await snapshot([host.name, ns('web'), ns('api')]);
    write('net.yaml', 'networks:\n  alpha: { subnet: 10.81.0.0/33, mtu: 1300 }\n');
    await ctl.until('Stalled', () => ctl.condition('Stalled') === 'Stalled True SpecInvalid');
    const error = `${join(dir, 'net.yaml')}:2:20: networks.alpha.subnet: "10.81.0.0/33" is not an IPv4 CIDR`;
    expect(ctl.status()!.specErrors).toEqual([error]);
    expect(ctl.logs().filter((l) => l.level === 50)).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^the spec is invalid, keeping the last valid spec \(sha256:[0-9a-f]{12}\)$/), errors: [error] })]);
    const s = await runCli(['status', ...flags()]);
    expect(s.code).toBe(2);
    expect(s.stdout).toContain(`SPEC ERRORS (the last valid spec stays in force)\n  ${error}\n`);
    expect(s.stdout).toMatch(/^Ready +False +SpecInvalid /m);
    // A resync later, still nothing changed.
    await sleep(2_500);
    expect(await snapshot([host.name, ns('web'), ns('api')])).toBe(before);
    expect(ctl.logs().filter((l) => l.level === 50)).toHaveLength(1);
    write('net.yaml', NET(', mtu: 1450'));
    await ctl.until('mtu 1450', async () => (await mtuOf(host.name, 'ws-alpha')) === 1450);
    await ctl.until('not Stalled', () => ctl.condition('Stalled') === 'Stalled False NoError' && ctl.condition('Ready') === 'Ready True Converged');
    expect(ctl.status()!.specErrors).toEqual([]);
  });

  it('ends a burst of 20 quick saves with the last content applied, in fewer passes than saves', async () => {
    const logged = ctl.logs().length;
    for (let i = 1; i <= 20; i++) {
      write('net.yaml', NET(`, mtu: ${1400 + i}`));
      await sleep(15);
    }
    await ctl.until('mtu 1420', async () => (await mtuOf(host.name, 'ws-alpha')) === 1420);
    await sleep(500);
    expect(await mtuOf(host.name, 'ws-alpha')).toBe(1420);
    expect(await mtuOf(ns('api'), 'eth0')).toBe(1420);
    const loads = ctl.logs().slice(logged).filter((l) => l.msg === 'the spec changed').length;
    expect(loads).toBeGreaterThanOrEqual(1);
    expect(loads).toBeLessThan(20);
    expect(ctl.status()!.lastAppliedDigest).toBe(specDigest(((await loadSpec(dir)) as { spec: Parameters<typeof specDigest>[0] }).spec));
  });

  it('puts back a veth deleted by hand within two seconds of the kernel event', async () => {
    await ctl.quiet();
    const veth = hostVethName('web', 'alpha');
    const logged = ctl.logs().length;
    await mustRun('ip', ['-n', host.name, 'link', 'del', veth]);
    const ms = await ctl.until('the veth back', async () => (await linkExists(host.name, veth)) && (await addrsOf(ns('web'), 'eth0')).includes('10.81.0.2/24'), 5_000);
    expect(ms).toBeLessThan(2_000);
    const repair = () => ctl.logs().slice(logged).find((l) => l.msg.startsWith('applied'));
    await ctl.until('the repair to be logged', () => repair() !== undefined);
    expect(repair()!.trigger).toContain('kernel');
    expect(repair()!.changes).toEqual([`create link ${veth} [host]`, `create link eth0 [${ns('web')}]`, `create address 10.81.0.2/24 dev eth0 [${ns('web')}]`, `create route default dev eth0 [${ns('web')}]`]);
  });

  it('puts back an address changed by hand within two seconds', async () => {
    await ctl.quiet();
    await mustRun('ip', ['-n', ns('api'), '-batch', '-'], { input: 'addr del 10.81.0.3/24 dev eth0\naddr add 10.81.0.99/24 dev eth0\n' });
    const ms = await ctl.until('the address back', async () => (await addrsOf(ns('api'), 'eth0')).join() === '10.81.0.3/24', 5_000);
    expect(ms).toBeLessThan(2_000);
    // Deleting the address took the default route with it; both come back.
    expect((await mustRun('ip', ['-n', ns('api'), 'route', 'show', 'default'])).stdout.trim()).toBe('default via 10.81.0.1 dev eth0');
  });

  it('repairs a flushed chain, which raises no kernel event, at the next resync', async () => {
    await ctl.quiet();
    const logged = ctl.logs().length;
    await inNs(host.name, 'iptables', ['-F', 'WIRESTATE-FORWARD']);
    // Within the resync period (2 s) and one pass.
    const ms = await ctl.until('the chain refilled', async () => (await inNs(host.name, 'iptables', ['-S', 'WIRESTATE-FORWARD'])).stdout.split('\n').length > 2, 6_000);
    expect(ms).toBeLessThan(3_000);
    const repair = () => ctl.logs().slice(logged).find((l) => l.msg.startsWith('applied'));
    await ctl.until('the repair to be logged', () => repair() !== undefined);
    expect(repair()!.changes).toEqual(['update chain filter/WIRESTATE-FORWARD [host]']);
    // The resync, unless an unrelated kernel event (a bridge port entering forwarding, say) came first.
    expect(['resync', 'kernel']).toEqual(expect.arrayContaining(repair()!.trigger as string[]));
  });

  it('restarts its kernel event monitor when that dies, and keeps repairing', async () => {
    const children = readFileSync(`/proc/${ctl.pid}/task/${ctl.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    const monitor = children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(' monitor all-nsid '));
    expect(monitor).toBeDefined();
    process.kill(monitor!, 'SIGKILL');
    await ctl.until('the restart', () => ctl.logs().some((l) => l.msg === 'the kernel event monitor had exited; restarted it (changes in between are found by this pass)'), 5_000);
    await ctl.quiet();
    const veth = hostVethName('api', 'alpha');
    await mustRun('ip', ['-n', host.name, 'link', 'del', veth]);
    expect(await ctl.until('the veth back', () => linkExists(host.name, veth), 5_000)).toBeLessThan(2_000);
  });

  it('runs a pass on SIGHUP', async () => {
    ctl.signal('SIGHUP');
    await ctl.until('a pass triggered by the signal', () => ctl.status()!.passes[0]!.trigger.includes('signal'));
    expect(ctl.logs().some((l) => l.msg === 'SIGHUP: forcing a pass')).toBe(true);
  });

  it('serves Prometheus metrics on loopback', async () => {
    const url = ctl.logs().find((l) => l.msg === 'controller started')!.metrics as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const r = await httpGet(url);
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^wirestate_passes_total\{result="ok"\} \d+$/m);
    expect(r.body).toMatch(/^wirestate_changes_applied_total\{kind="link"\} \d+$/m);
    expect(r.body).toContain('wirestate_owned_objects{kind="namespace"} 2\n');
    expect(r.body).toContain('wirestate_ready 1\n');
    expect(r.body).toMatch(/^wirestate_errors_total\{reason="spec_invalid"\} \d+$/m);
    expect(r.body).toMatch(/^wirestate_pass_duration_seconds_count \d+$/m);
  });

  it('refuses a second controller for the host, while plan and drift keep working', async () => {
    const second = await runCli(['reconcile', ...flags(), dir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`error: another wirestate (pid ${ctl.pid}) is already the controller of this host; stop it first (lock: ${join(host.stateDir, `netns-${host.name}`, 'controller.lock')})\n`);
    const plan = await runCli(['plan', ...flags(), '-o', 'json', dir]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toEqual({ changes: [] });
    expect((await runCli(['drift', ...flags(), dir])).code).toBe(0);
  });

  it('on SIGTERM exits 0 and leaves the kernel as it was', async () => {
    await ctl.quiet();
    const before = await snapshot([host.name, ns('web'), ns('api')]);
    ctl.signal('SIGTERM');
    expect(await ctl.exited).toBe(0);
    expect(await snapshot([host.name, ns('web'), ns('api')])).toBe(before);
    expect(ctl.logs().slice(-2).map((l) => l.msg)).toEqual(['stopping: finishing the pass in flight; the kernel is left as it is', 'stopped']);
    expect(ctl.condition('Reconciling')).toBe('Reconciling False Stopped');
    const s = await runCli(['status', ...flags()]);
    expect(s.code).toBe(1);
    expect(s.stdout).toContain(`  state:    stopped at ${ctl.status()!.stoppedAt} (pid ${ctl.pid})`);
    expect(s.stderr).toMatch(/^error: the controller is not running; this is the last status it wrote \(/);
  });

  it('on SIGTERM during a pass finishes that pass first', async () => {
    ctl = await startController([...flags(), dir], { stateDir: host.stateDir, hostNetns: host.name });
    expect(ctl.status()!.passes[0]).toMatchObject({ trigger: ['start'], changes: 0 });
    const many = Array.from({ length: 12 }, (_, i) => `  e${i}: { networks: [alpha] }`).join('\n');
    write('many.yaml', `endpoints:\n${many}\n`);
    await ctl.until('the pass to start', () => ctl.condition('Reconciling') === 'Reconciling True Progressing', 5_000);
    ctl.signal('SIGTERM');
    expect(await ctl.exited).toBe(0);
    const msgs = ctl.logs().map((l) => l.msg);
    const applied = msgs.findLastIndex((m) => /^applied \d+ changes$/.test(m));
    expect(msgs.indexOf('stopping: finishing the pass in flight; the kernel is left as it is')).toBeLessThan(applied);
    expect(msgs.slice(applied + 1)).toEqual(['stopped']);
    const plan = await runCli(['plan', ...flags(), '-o', 'json', dir]);
    expect(JSON.parse(plan.stdout)).toEqual({ changes: [] });
  });

  it('on a second SIGTERM stops at once, cutting the pass short; the next pass completes it', async () => {
    ctl = await startController([...flags(), dir], { stateDir: host.stateDir, hostNetns: host.name });
    const more = Array.from({ length: 12 }, (_, i) => `  f${i}: { networks: [alpha] }`).join('\n');
    write('more.yaml', `endpoints:\n${more}\n`);
    await ctl.until('the pass to start', () => ctl.condition('Reconciling') === 'Reconciling True Progressing', 5_000);
    ctl.signal('SIGTERM');
    await ctl.until('the first signal to be handled', () => ctl.logs().some((l) => l.msg.startsWith('stopping:')), 5_000);
    ctl.signal('SIGTERM');
    expect(await ctl.exited).toBeNull();
    const once = await runCli(['reconcile', '--once', ...flags(), dir]);
    expect(once.code, once.stderr).toBe(0);
    expect((await runCli(['plan', ...flags(), dir])).code).toBe(0);
  });
});

describe.skipIf(!kernel)('the controller with --no-heal', () => {
  let host: HostNs;
  let ctl: Controller;
  afterAll(async () => {
    await ctl?.kill();
    await host?.cleanup();
  });

  it('reports drift in its log, status and metrics, and repairs nothing', async () => {
    host = await makeHostNs('rep');
    const dir = host.writeSpec({ 'net.yaml': NET(), 'web.yaml': 'endpoints:\n  web: { networks: [alpha] }\n' });
    const flags = ['--netns', host.name, '--state-dir', host.stateDir];
    expect((await runCli(['reconcile', '--once', ...flags, dir])).code).toBe(0);
    ctl = await startController([...flags, '--no-heal', '--metrics-addr', '127.0.0.1:0', dir], { stateDir: host.stateDir, hostNetns: host.name });
    expect(ctl.condition('Ready')).toBe('Ready True InSync');
    const veth = hostVethName('web', 'alpha');
    await mustRun('ip', ['-n', host.name, 'link', 'del', veth]);
    await ctl.until('drift reported', () => ctl.condition('Ready') === 'Ready False DriftDetected', 5_000);
    const drift = ctl.status()!.drift;
    expect(drift.items.map((i) => `${i.status} ${i.kind} ${i.name}`)).toEqual([`missing link ${veth}`, 'missing link eth0', 'missing address 10.81.0.2/24 dev eth0', 'missing route default dev eth0']);
    expect(ctl.logs().find((l) => l.level === 40)).toMatchObject({
      msg: 'drift: 4 objects differ from the spec (report-only, not repaired)',
      drift: [`missing link ${veth} [@host]`, `missing link eth0 [${host.name}-web]`, `missing address 10.81.0.2/24 dev eth0 [${host.name}-web]`, `missing route default dev eth0 [${host.name}-web]`],
    });
    await sleep(1_000);
    expect(await linkExists(host.name, veth)).toBe(false);
    const url = ctl.logs().find((l) => l.msg === 'controller started')!.metrics as string;
    const m = await httpGet(url);
    expect(m.body).toContain('wirestate_drifted_objects 4\n');
    expect(m.body).toContain('wirestate_ready 0\n');
    expect(m.body).not.toContain('wirestate_changes_applied_total{');
    const s = await runCli(['status', ...flags]);
    expect(s.code).toBe(2);
    expect(s.stdout).toContain('DRIFT (report-only: not repaired)');
    ctl.signal('SIGINT');
    expect(await ctl.exited).toBe(0);
  });

  it('after a crash, says so in `wirestate status`, and a new controller takes over the host', async () => {
    const dir = join(host.dir, 'spec');
    const flags = ['--netns', host.name, '--state-dir', host.stateDir];
    ctl = await startController([...flags, '--no-heal', dir], { stateDir: host.stateDir, hostNetns: host.name });
    const crashed = ctl.pid;
    ctl.signal('SIGKILL');
    expect(await ctl.exited).toBeNull();
    const s = await runCli(['status', ...flags]);
    expect(s.code).toBe(1);
    expect(s.stdout.split('\n')[1]).toMatch(new RegExp(`^  state:    not running: pid ${crashed} is gone without a clean stop \\(last update \\S+\\)$`));
    ctl = await startController([...flags, dir], { stateDir: host.stateDir, hostNetns: host.name });
    await ctl.until('the veth repaired', () => ctl.condition('Ready') === 'Ready True Converged');
    expect(await linkExists(host.name, hostVethName('web', 'alpha'))).toBe(true);
    ctl.signal('SIGTERM');
    expect(await ctl.exited).toBe(0);
  });
});

describe.skipIf(!kernel)('the controller refuses to start', () => {
  let host: HostNs;
  beforeAll(async () => {
    host = await makeHostNs('bad');
  });
  afterAll(async () => {
    await host?.cleanup();
  });
  const start = (...args: string[]) => runCli(['reconcile', '--netns', host.name, '--state-dir', host.stateDir, ...args]);

  it('with a malformed --resync or --metrics-addr, or loop options with --once', async () => {
    const dir = host.writeSpec({ 'net.yaml': NET() });
    const cases: [string[], string][] = [
      [['--resync', '5x', dir], 'error: --resync 5x: expected a duration such as 500ms, 2s, 5m or 1h30m\n'],
      [['--resync', '10ms', dir], 'error: --resync 10ms: must be at least 100ms\n'],
      [['--metrics-addr', 'http://x', dir], 'error: --metrics-addr http://x: expected PORT (on 127.0.0.1) or HOST:PORT\n'],
      [['--once', '--resync', '2s', '--no-heal', dir], 'error: --resync, --no-heal: only for the controller (reconcile without --once); to report drift once, use `wirestate drift`\n'],
      [['--once', '--metrics-addr', '9469', dir], 'error: --metrics-addr: only for the controller (reconcile without --once)\n'],
      [[join(host.dir, 'nope')], `error: ${join(host.dir, 'nope')}: no such file or directory\n`],
    ];
    for (const [args, stderr] of cases) {
      const r = await start(...args);
      expect([r.code, r.stderr], args.join(' ')).toEqual([1, stderr]);
    }
  });

  it('when the metrics address is taken', async () => {
    const dir = host.writeSpec({ 'net.yaml': NET() });
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      // Twice: the first attempt released its controller lock.
      for (let i = 0; i < 2; i++) {
        const r = await start('--metrics-addr', String(port), dir);
        expect([r.code, r.stderr]).toEqual([1, `error: --metrics-addr ${port}: cannot listen there (address already in use)\n`]);
      }
    } finally {
      taken.close();
    }
    expect(await linkExists(host.name, 'ws-alpha')).toBe(false);
  });

  it('`wirestate status` says when no controller has run, or what is wrong with its options', async () => {
    const r = await runCli(['status', '--netns', host.name, '--state-dir', host.stateDir]);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(`error: no controller has run for this host: ${join(host.stateDir, `netns-${host.name}`, 'status.json')} does not exist (start one with \`wirestate reconcile DIR\`)\n`);
    const md = await runCli(['status', '--netns', host.name, '-o', 'markdown']);
    expect([md.code, md.stderr]).toEqual([1, 'error: -o markdown: expected one of text, json\n']);
    const both = await runCli(['status', '--netns', host.name, '--sandbox']);
    expect([both.code, both.stderr]).toEqual([1, 'error: use either --netns or --sandbox, not both\n']);
  });

  it('explains itself in --help, with examples', async () => {
    const reconcile = await runCli(['reconcile', '--help']);
    expect(reconcile.code).toBe(0);
    for (const line of ['  --resync <duration>', '  --no-heal', '  --metrics-addr <addr>', '  wirestate reconcile --sandbox examples/networks           # the controller; Ctrl-C stops it', 'SIGHUP forces a pass; SIGINT or SIGTERM finish the pass in flight and exit 0, leaving the kernel']) {
      expect(reconcile.stdout).toContain(line);
    }
    const status = await runCli(['status', '--help']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("  wirestate status --state-dir /var/lib/wirestate -o json | jq '.conditions'");
    expect(status.stdout).toContain('Exit status: 0 the controller runs and the host is Ready, 2 it runs but is not Ready, 1 no\ncontroller runs');
    const drift = await runCli(['drift', '--help']);
    expect(drift.stdout).toContain('  wirestate drift -o html . > drift.html');
  });
});

describe.skipIf(!kernel)('the controller of an overlay host', () => {
  const made: HostNs[] = [];
  let a: HostNs;
  let b: HostNs;
  let dir: string;
  let ctl: Controller;
  const FRONT_VNI = 5101;
  const SEC_VNI = 5102;
  const vx = vxlanName(FRONT_VNI);
  const K1 = '5e'.repeat(32);
  const K2 = '6f'.repeat(32);
  const K3 = '7a'.repeat(40);
  let keyFile: string;
  const spec = (sec = `  sec: { driver: overlay, subnet: 10.84.0.0/24, vni: ${SEC_VNI}, encrypted: true, keyFile: ../keys/sec.key }\n`) => `
hosts:
  a: { address: 192.0.2.11 }
  b: { address: 192.0.2.12 }
networks:
  front: { driver: overlay, subnet: 10.83.0.0/24, vni: ${FRONT_VNI} }
${sec}endpoints:
  web: { host: a, networks: [front] }
  api: { host: b, networks: [front] }
${sec ? '  s1: { host: a, networks: [sec] }\n' : ''}settings: { defaultBridge: { enabled: false } }
`;
  /** api's address and MAC on front, as host b made them. */
  let api: { ip: string; mac: string };
  const fdbOnA = async () =>
    (JSON.parse((await mustRun('bridge', ['-n', a.name, '-j', 'fdb', 'show', 'dev', vx])).stdout) as { mac: string; dst?: string }[]).filter((e) => e.dst).map((e) => `${e.mac} dst ${e.dst}`);
  const neighboursOnA = async () =>
    (JSON.parse((await mustRun('ip', ['-n', a.name, '-j', 'neigh', 'show', 'dev', vx, 'nud', 'permanent'])).stdout) as { dst: string; lladdr: string }[]).map((n) => `${n.dst} lladdr ${n.lladdr}`);
  const policiesOnA = async () => (await mustRun('ip', ['-n', a.name, 'xfrm', 'policy', 'show'])).stdout;
  /** The passes that started after `since` (an ISO time), oldest first. */
  const passesSince = (since: string) => ctl.status()!.passes.filter((p) => p.startedAt > since).reverse();
  const newest = () => ctl.status()!.passes[0]!.startedAt;
  /** The controller's own children running `ip … xfrm monitor`. */
  const xfrmMonitors = () => {
    const children = readFileSync(`/proc/${ctl.pid}/task/${ctl.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(' xfrm monitor ');
      } catch {
        return false;
      }
    });
  };

  beforeAll(async () => {
    const underlay = await makeHostNs('ctu');
    made.push(underlay);
    a = await makeHostNs('cta');
    made.push(a);
    b = await makeHostNs('ctb');
    made.push(b);
    await joinUnderlay(underlay, [a, b]);
    // The key file is outside the spec directory, named relative to the YAML.
    keyFile = join(a.dir, 'keys', 'sec.key');
    mkdirSync(join(a.dir, 'keys'));
    writeFileSync(keyFile, `${K1}\n`);
    dir = a.writeSpec({ 'net.yaml': spec() });
    const rb = await runCli(['reconcile', '--once', '--netns', b.name, '--host', 'b', '--state-dir', b.stateDir, dir]);
    expect(rb.code, rb.stderr).toBe(0);
    const links = JSON.parse((await mustRun('ip', ['-n', `${b.name}-api`, '-j', 'addr', 'show'])).stdout) as { address: string; addr_info: { local: string }[] }[];
    const onFront = links.find((l) => l.addr_info.some((i) => i.local.startsWith('10.83.')))!;
    api = { ip: onFront.addr_info.find((i) => i.local.startsWith('10.83.'))!.local, mac: onFront.address };
    // A resync that never comes during the tests: only events can be what repairs. Debug logs the
    // events that pass the filter, for the failure messages.
    ctl = await startController(['--netns', a.name, '--host', 'a', '--state-dir', a.stateDir, '--resync', '10m', '--log-level', 'debug', dir], { stateDir: a.stateDir, hostNetns: a.name });
    await ctl.until('Ready', () => ctl.condition('Ready') === 'Ready True Converged');
  });
  afterAll(async () => {
    await ctl?.kill();
    for (const h of [a, b]) if (h) await runCli(['down', '--netns', h.name, '--host', h === a ? 'a' : 'b', '--state-dir', h.stateDir, dir]).catch(() => undefined);
    for (const h of made) await h.cleanup();
  });

  it('runs no pass for ping traffic, though it raises neighbour events in the host namespace and the endpoint', async () => {
    // Forget what earlier traffic taught the host and the endpoint, so this burst raises its events again.
    await run('bridge', ['-n', a.name, 'fdb', 'del', api.mac, 'dev', vx, 'master']);
    await mustRun('ip', ['-n', a.name, 'neigh', 'flush', 'dev', 'eth0']);
    await mustRun('ip', ['-n', `${a.name}-web`, 'neigh', 'flush', 'all']);
    // Longer than the kernel may hold back a link's state event after the last pass changed it
    // (linkwatch: up to 1 s, later on a busy machine), which would otherwise land in the burst.
    await ctl.quiet(2_000);
    const before = newest();
    const gateway = /via (\S+)/.exec((await mustRun('ip', ['-n', `${a.name}-web`, 'route', 'show', 'default'])).stdout)![1]!;
    const monitor = run('ip', ['-n', a.name, '-o', 'monitor', 'all-nsid', 'label', 'neigh'], { timeoutMs: 4_000 });
    await sleep(300);
    const pings = await Promise.all([
      inNs(`${a.name}-web`, 'ping', ['-c', '30', '-i', '0.05', '-W', '1', '-n', '-q', api.ip], { timeoutMs: 10_000 }),
      inNs(`${a.name}-web`, 'ping', ['-c', '10', '-i', '0.1', '-W', '1', '-n', '-q', gateway], { timeoutMs: 10_000 }),
      inNs(`${a.name}-web`, 'ping', ['-c', '5', '-i', '0.2', '-W', '1', '-n', '-q', '10.83.0.250'], { timeoutMs: 10_000 }),
    ]);
    expect(pings.map((p) => p.code)).toEqual([0, 0, 1]);
    const lines = (await monitor).stdout.split('\n');
    // The noise was there: the bridge learning api's MAC on the tunnel port, the host resolving
    // host b on the underlay, the endpoint resolving its peers.
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[nsid current\\]\\[NEIGH\\]dev ${vx} lladdr ${api.mac} `)));
    expect(lines).toContainEqual(expect.stringMatching(/^\[nsid current\]\[NEIGH\]192\.0\.2\.12 dev eth0 /));
    // (Another namespace's device is named by its index in the host namespace: not eth0 here.)
    expect(lines).toContainEqual(expect.stringMatching(/^\[nsid \d+\]\[NEIGH\]10\.83\.0\.250 dev \S+ /));
    await sleep(500);
    expect(passesSince(before), JSON.stringify(ctl.logs().filter((l) => l.msg === 'kernel event').slice(-5))).toEqual([]);
  });

  it('puts back a forwarding entry and a neighbour deleted by hand, from their kernel events', async () => {
    expect(await fdbOnA()).toEqual([`${api.mac} dst 192.0.2.12`]);
    expect(await neighboursOnA()).toEqual([`${api.ip} lladdr ${api.mac}`]);
    const cases: [string, string[], () => Promise<string[]>, string][] = [
      ['the forwarding entry', ['bridge', '-n', a.name, 'fdb', 'del', api.mac, 'dev', vx, 'dst', '192.0.2.12', 'self'], fdbOnA, `create fdb ${api.mac} dev ${vx} [host]`],
      ['the neighbour', ['ip', '-n', a.name, 'neigh', 'del', api.ip, 'dev', vx], neighboursOnA, `create neighbour ${api.ip} dev ${vx} [host]`],
    ];
    for (const [what, [cmd, ...args], read, change] of cases) {
      await ctl.quiet();
      const logged = ctl.logs().length;
      await mustRun(cmd!, args);
      expect(await read(), what).toEqual([]);
      const ms = await ctl.until(`${what} back`, async () => (await read()).length === 1, 5_000);
      expect(ms, what).toBeLessThan(2_000);
      const repair = () => ctl.logs().slice(logged).find((l) => l.msg.startsWith('applied'));
      await ctl.until(`the repair of ${what} to be logged`, () => repair() !== undefined);
      expect(repair(), what).toMatchObject({ trigger: ['kernel'], changes: [change] });
    }
  });

  it("removes an IPsec policy of its own added by hand, from its event, and runs no pass for anyone else's", async () => {
    const tag = `0x${xfrmTagOf(SEC_VNI).toString(16)}`;
    await ctl.quiet();
    let before = newest();
    await mustRun('ip', ['-n', a.name, 'xfrm', 'policy', 'add', 'src', '192.0.2.11', 'dst', '192.0.2.14', 'proto', 'udp', 'dport', '4789', 'dir', 'out', 'tmpl', 'proto', 'esp', 'mode', 'transport', 'reqid', '7']);
    await sleep(800);
    expect(passesSince(before)).toEqual([]);
    before = newest();
    const logged = ctl.logs().length;
    await mustRun('ip', ['-n', a.name, 'xfrm', 'policy', 'add', 'src', '192.0.2.11', 'dst', '192.0.2.13', 'proto', 'udp', 'dport', '4789', 'dir', 'out', 'mark', tag, 'tmpl', 'proto', 'esp', 'mode', 'transport', 'reqid', tag]);
    expect(await policiesOnA()).toContain(`mark ${tag}/0xffffffff`);
    const ms = await ctl.until('the policy gone', async () => !(await policiesOnA()).includes(`mark ${tag}/`), 5_000);
    expect(ms).toBeLessThan(2_000);
    const repair = () => ctl.logs().slice(logged).find((l) => l.msg.startsWith('applied'));
    await ctl.until('the repair to be logged', () => repair() !== undefined);
    expect(repair()).toMatchObject({ trigger: ['kernel'], changes: [`delete xfrm-policy out 192.0.2.11>192.0.2.13 udp/4789 mark ${tag} [host]`] });
    // Anyone else's policy is left alone.
    expect(await policiesOnA()).toContain('dst 192.0.2.14/32');
  });

  it('runs a pass when its key file is edited, replaced, removed or restored, and never logs a key', async () => {
    await ctl.quiet();
    // After a failed pass the controller is retrying, never quiet: a pass is found by its trigger.
    const keyPass = async (what: string, change: () => void) => {
      const before = newest();
      change();
      const found = () => passesSince(before).find((p) => p.trigger.includes('keyfile'));
      const ms = await ctl.until(`a pass for ${what}`, () => found() !== undefined, 5_000);
      expect(ms, what).toBeLessThan(2_000);
      return found()!;
    };
    expect(await keyPass('an edit', () => writeFileSync(keyFile, `${K2}\n`))).not.toHaveProperty('error');
    const bad = await keyPass('a replacement by rename', () => {
      writeFileSync(`${keyFile}.new`, 'not-a-key\n');
      renameSync(`${keyFile}.new`, keyFile);
    });
    expect(bad.error).toContain(`networks.sec.keyFile: ${keyFile} line 1 is not a hex key of 32 bytes or more`);
    expect(ctl.condition('Ready')).toBe('Ready False SpecRejected');
    const gone = await keyPass('a removal', () => unlinkSync(keyFile));
    expect(gone.error).toContain(`networks.sec.keyFile: cannot read ${keyFile}: no such file`);
    expect(await keyPass('a restore', () => writeFileSync(keyFile, `${K3}\n`))).not.toHaveProperty('error');
    await ctl.until('Ready again', () => ctl.condition('Ready') === 'Ready True Converged');
    for (const k of [K1, K2, K3]) expect(ctl.stderr()).not.toContain(k.slice(0, 16));
  });

  it('watches exactly the key files the spec names: a new one, then none, and IPsec events only while it has one', async () => {
    expect(xfrmMonitors()).toHaveLength(1);
    const other = join(a.dir, 'other-keys', 'sec.key');
    mkdirSync(join(a.dir, 'other-keys'));
    writeFileSync(other, `${K1}\n`);
    await ctl.quiet();
    let before = newest();
    writeFileSync(join(dir, 'net.yaml'), spec(`  sec: { driver: overlay, subnet: 10.84.0.0/24, vni: ${SEC_VNI}, encrypted: true, keyFile: ../other-keys/sec.key }\n`));
    await ctl.until('the new spec applied', () => passesSince(before).some((p) => p.trigger.includes('file') && !p.error));
    await ctl.quiet();
    before = newest();
    writeFileSync(keyFile, `${K2}\n`);
    await sleep(800);
    expect(passesSince(before).filter((p) => p.trigger.includes('keyfile'))).toEqual([]);
    writeFileSync(other, `${K2}\n`);
    await ctl.until('a pass for the new key file', () => passesSince(before).some((p) => p.trigger.includes('keyfile')), 5_000);
    // No encrypted network left: no key file to watch, no IPsec to watch.
    writeFileSync(join(dir, 'net.yaml'), spec(''));
    await ctl.until('the network removed', async () => !(await run('ip', ['-n', a.name, 'link', 'show', 'dev', vxlanName(SEC_VNI)])).stdout);
    await ctl.quiet();
    await ctl.until('the IPsec monitor stopped', () => xfrmMonitors().length === 0, 5_000);
    before = newest();
    writeFileSync(other, `${K3}\n`);
    await sleep(800);
    // (The endpoint namespace removed with the network can still raise link events: those passes are not in question.)
    expect(passesSince(before).filter((p) => p.trigger.includes('keyfile'))).toEqual([]);
  });
});

describe.skipIf(!kernel)('the controller reads again only the endpoint namespaces that may have changed', () => {
  let host: HostNs;
  let dir: string;
  let ctl: Controller;
  const flags = () => ['--netns', host.name, '--state-dir', host.stateDir];
  const ns = (e: string) => `${host.name}-${e}`;
  const NETS = (probeMtu: number) => `networks:\n  beta: { subnet: 10.91.0.0/24, dns: false }\n  probe: { subnet: 10.92.0.0/24, mtu: ${probeMtu}, dns: false }\nsettings: { defaultBridge: { enabled: false } }\n`;
  const EPS = (n: number) => `endpoints:\n${Array.from({ length: n }, (_, i) => `  e${i + 1}: { networks: [beta] }\n`).join('')}`;
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  /** The passes that started after `since` (an ISO time), oldest first. */
  const passesSince = (since: string) => ctl.status()!.passes.filter((p) => p.startedAt > since).reverse();
  const newest = () => ctl.status()!.passes[0]!.startedAt;
  const isUp = async (n: string) => (JSON.parse((await mustRun('ip', ['-n', n, '-j', 'link', 'show', 'dev', 'eth0'])).stdout) as { flags: string[] }[])[0]!.flags.includes('UP');

  beforeAll(async () => {
    host = await makeHostNs('scope');
    dir = host.writeSpec({ 'net.yaml': NETS(1400), 'eps.yaml': EPS(6) });
    // No resync during these tests (but the last): what is read again is what events, edits and passes say.
    ctl = await startController([...flags(), '--resync', '10m', '--log-level', 'debug', dir], { stateDir: host.stateDir, hostNetns: host.name });
    await ctl.until('Ready', () => ctl.condition('Ready') === 'Ready True Converged', 20_000);
    // What passes read in the monitor's first moments is not kept; a SIGHUP pass after them reads everything and keeps it.
    await sleep(MONITOR_READY_MS + 200);
    ctl.signal('SIGHUP');
    await ctl.until('the SIGHUP pass', () => ctl.status()!.passes[0]!.trigger.includes('signal'));
    expect(ctl.status()!.passes[0]!.observed).toEqual({ read: 6, reused: 0 });
  });
  afterAll(async () => {
    await ctl?.kill();
    await host?.cleanup();
  });

  it('applies an edit that adds an endpoint, and the pass after it plans nothing', async () => {
    await ctl.quiet();
    const before = newest();
    write('eps.yaml', EPS(7));
    await ctl.until('e7 to exist', async () => (await addrsOf(ns('e7'), 'eth0')).length === 1, 5_000);
    await ctl.quiet();
    const passes = passesSince(before);
    const edit = passes.findIndex((p) => p.trigger.includes('file'));
    // e7 does not exist yet: it needs no look.
    expect(passes[edit]).toMatchObject({ observed: { read: 0, reused: 6 } });
    expect(passes[edit]!.changes).toBeGreaterThan(0);
    expect(passes[edit]).not.toHaveProperty('error');
    // The follow-up (on the apply's own events) reads again e7 alone, which the edit changed, and finds nothing to do.
    expect(passes.slice(edit + 1).length).toBeGreaterThanOrEqual(1);
    for (const p of passes.slice(edit + 1)) expect(p).toMatchObject({ changes: 0, drift: 0 });
    expect(passes[edit + 1]!.observed).toEqual({ read: 1, reused: 6 });
    const plan = await runCli(['plan', ...flags(), '-o', 'json', dir]);
    expect(JSON.parse(plan.stdout)).toEqual({ changes: [] });
  });

  it('after an edit of the host’s part of the spec, reads no endpoint namespace', async () => {
    await ctl.quiet();
    const before = newest();
    write('net.yaml', NETS(1420));
    await ctl.until('the probe network at mtu 1420', async () => (await mtuOf(host.name, 'ws-probe')) === 1420, 5_000);
    await ctl.until('the pass to be recorded', () => passesSince(before).some((p) => p.trigger.includes('file')));
    expect(passesSince(before).find((p) => p.trigger.includes('file'))).toMatchObject({ changes: 1, observed: { read: 0, reused: 7 } });
  });

  it('repairs a change inside one endpoint namespace from its event, reading that namespace alone', async () => {
    const cases: [string, string[], () => Promise<boolean>][] = [
      ['e3 eth0 down', ['-n', ns('e3'), 'link', 'set', 'eth0', 'down'], () => isUp(ns('e3'))],
      ['e5 address flushed', ['-n', ns('e5'), 'addr', 'flush', 'dev', 'eth0'], async () => (await addrsOf(ns('e5'), 'eth0')).length === 1],
    ];
    for (const [what, args, repaired] of cases) {
      await ctl.quiet();
      const before = newest();
      await mustRun('ip', args);
      const ms = await ctl.until(`${what} repaired`, repaired, 5_000);
      expect(ms, what).toBeLessThan(2_000);
      const repair = () => passesSince(before).find((p) => p.changes > 0);
      await ctl.until(`the repair of ${what} to be recorded`, () => repair() !== undefined);
      expect(repair(), what).toMatchObject({ trigger: ['kernel'], observed: { read: 1, reused: 6 } });
    }
  });

  it('makes again a namespace deleted by hand, and one deleted and made again empty under the same name', async () => {
    for (const e of ['e2', 'e4']) {
      await ctl.quiet();
      await mustRun('ip', ['netns', 'del', ns(e)]);
      if (e === 'e4') await mustRun('ip', ['netns', 'add', ns(e)]);
      await ctl.until(`${e} repaired`, async () => (await addrsOf(ns(e), 'eth0')).join() === (e === 'e2' ? '10.91.0.3/24' : '10.91.0.5/24'), 5_000);
    }
    await ctl.quiet();
    expect(ctl.condition('Ready')).toBe('Ready True Converged');
    expect(JSON.parse((await runCli(['plan', ...flags(), '-o', 'json', dir])).stdout)).toEqual({ changes: [] });
  });

  it('reads everything at each periodic resync', async () => {
    await ctl.quiet();
    ctl.signal('SIGTERM');
    expect(await ctl.exited).toBe(0);
    ctl = await startController([...flags(), '--resync', '2s', dir], { stateDir: host.stateDir, hostNetns: host.name });
    // The first resync reads everything anyway (nothing is kept from the monitor's first second); the second would read nothing if it used what the first kept.
    await ctl.until('two resyncs', () => ctl.status()!.passes.filter((p) => p.trigger.includes('resync')).length >= 2, 10_000);
    const resyncs = ctl.status()!.passes.filter((p) => p.trigger.includes('resync'));
    for (const p of resyncs) expect(p.observed).toEqual({ read: 7, reused: 0 });
    // Between resyncs the cache is in use: an edit reads nothing.
    await ctl.quiet(200);
    const before = newest();
    write('net.yaml', NETS(1440));
    await ctl.until('the edit applied', () => passesSince(before).some((p) => p.trigger.includes('file')), 5_000);
    const edit = passesSince(before).find((p) => p.trigger.includes('file'))!;
    // Unless a resync came first and coalesced with it.
    if (!edit.trigger.includes('resync')) expect(edit.observed).toEqual({ read: 0, reused: 7 });
  });
});
