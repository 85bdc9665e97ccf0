import { stat } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { loadValid, reconcileOnce, UserError } from '../../pipeline/pass.js';
import { runController } from '../../watch/controller.js';
import { parseDuration } from '../../watch/duration.js';
import { parseListenAddress } from '../../watch/metrics-server.js';
import { type GlobalOptions, targetFor } from '../context.js';
import { planLines, planSummary } from '../output/plan-text.js';
import { progress } from '../progress.js';

interface ReconcileOptions {
  once?: boolean;
  allowEmpty?: boolean;
  resync: string;
  heal: boolean;
  metricsAddr?: string;
  logFormat: 'auto' | 'json' | 'text';
  logLevel: string;
}

/** Options that only mean something to the control loop. */
const LOOP_ONLY = ['resync', 'heal', 'metricsAddr', 'logFormat', 'logLevel'] as const;
const FLAG: Record<(typeof LOOP_ONLY)[number], string> = { resync: '--resync', heal: '--no-heal', metricsAddr: '--metrics-addr', logFormat: '--log-format', logLevel: '--log-level' };
const MIN_RESYNC_MS = 100;

const HELP = `
Without --once, wirestate stays running as the controller of the host: it reconciles at start, on
every change of the YAML (editors' swap and backup files are ignored), on kernel events (a link,
address or route changed by hand is repaired within a second or two) and every --resync period
(which also finds firewall changes, which have no events). An invalid edit changes nothing: the
last valid spec stays in force and the status says Stalled until the YAML is fixed. Failed passes
are retried with exponential backoff (0.5 s doubling to 60 s, with jitter).

It writes its status to STATE-DIR (see \`wirestate status\`), logs JSON lines on stderr (one
readable line per record on a terminal), and serves Prometheus metrics on --metrics-addr.
SIGHUP forces a pass; SIGINT or SIGTERM finish the pass in flight and exit 0, leaving the kernel
as it is (a second signal stops at once).

Examples:
  wirestate reconcile --once --sandbox examples/networks   # one pass in a throwaway namespace
  wirestate reconcile --once /etc/wirestate                 # one pass on the real host
  wirestate reconcile --sandbox examples/networks           # the controller; Ctrl-C stops it
  wirestate reconcile --resync 30s --metrics-addr 9469 /etc/wirestate
  wirestate reconcile --no-heal /etc/wirestate              # watch and report drift, change nothing

Exit status: with --once, 0 converged, 1 failed (what was applied and what was not is printed);
without, 0 on a clean stop, 1 when it cannot start.`;

async function once(dir: string | undefined, opts: ReconcileOptions, o: GlobalOptions): Promise<void> {
  const p = progress();
  const t = await targetFor('reconcile', dir, o, (s) => process.stderr.write(`${s}\n`));
  const spec = await loadValid(t.dir);
  const started = performance.now();
  p.step('observing the kernel');
  try {
    const r = await reconcileOnce(spec, t, { allowEmpty: opts.allowEmpty, onProgress: (d, n, what) => p.count(d, n, what) });
    const ms = Math.round(performance.now() - started);
    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
    if (r.applied === 0) {
      p.succeed(`in sync: nothing to do (${ms} ms)`);
      return;
    }
    for (const l of planLines(r.plan)) process.stdout.write(`${l}\n`);
    if (r.remaining.changes.length) {
      p.fail('applied, but the kernel still differs from the spec');
      process.stderr.write(`after applying ${r.applied} changes, verification still finds:\n`);
      for (const l of planLines(r.remaining)) process.stderr.write(`${l}\n`);
      process.exitCode = 1;
      return;
    }
    p.succeed(`converged: ${planSummary(r.plan).replace(' to create', ' created').replace(' to update', ' updated').replace(' to delete', ' deleted')} (${ms} ms)`);
  } catch (e) {
    p.fail('reconcile failed');
    throw e;
  }
}

async function controller(dir: string | undefined, opts: ReconcileOptions, o: GlobalOptions): Promise<void> {
  const resyncMs = parseDuration(opts.resync);
  if (resyncMs === undefined) throw new UserError(`--resync ${opts.resync}: expected a duration such as 500ms, 2s, 5m or 1h30m`);
  if (resyncMs < MIN_RESYNC_MS) throw new UserError(`--resync ${opts.resync}: must be at least ${MIN_RESYNC_MS}ms`);
  const metricsAddr = opts.metricsAddr === undefined ? undefined : parseListenAddress(opts.metricsAddr);
  if (opts.metricsAddr !== undefined && !metricsAddr) throw new UserError(`--metrics-addr ${opts.metricsAddr}: expected PORT (on 127.0.0.1) or HOST:PORT`);
  const target = await targetFor('reconcile', dir, o, (s) => process.stderr.write(`${s}\n`));
  if (!(await stat(target.dir).catch(() => undefined))) throw new UserError(`${target.dir}: no such file or directory`);
  const logFormat = opts.logFormat === 'auto' ? (process.stderr.isTTY ? 'text' : 'json') : opts.logFormat;
  try {
    await runController({ target, heal: opts.heal, allowEmpty: opts.allowEmpty ?? false, resyncMs, metricsAddr, logFormat, logLevel: opts.logLevel });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw new UserError(`--metrics-addr ${opts.metricsAddr}: cannot listen there (${code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : 'no such local address'})`);
    }
    throw e;
  }
}

export function register(program: Command): void {
  program
    .command('reconcile [dir]')
    .description('make the kernel match DIR and keep it so (the controller), or make it match once (--once)')
    .option('--once', 'one pass — observe, diff, apply the smallest set of changes, verify — then exit')
    .option('--allow-empty', 'allow a spec with no networks and no endpoints to remove everything wirestate made')
    .option('--resync <duration>', 'controller: full pass at least this often, events or not (500ms, 2s, 5m, 1h)', '3m')
    .option('--no-heal', 'controller: report drift (log, status, metrics) but never change the kernel')
    .option('--metrics-addr <addr>', 'controller: serve Prometheus metrics at http://ADDR/metrics; PORT alone binds 127.0.0.1')
    .addOption(new Option('--log-format <format>', 'controller: json lines, or text (one readable line per record)').choices(['auto', 'json', 'text']).default('auto', 'text on a terminal, else json'))
    .addOption(new Option('--log-level <level>', 'controller: debug also logs every trigger').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addHelpText('after', HELP)
    .action(async (dir: string | undefined, opts: ReconcileOptions, cmd: Command) => {
      const o = cmd.optsWithGlobals<GlobalOptions>();
      if (opts.once) {
        const given = LOOP_ONLY.filter((k) => cmd.getOptionValueSource(k) === 'cli');
        if (given.length) throw new UserError(`${given.map((k) => FLAG[k]).join(', ')}: only for the controller (reconcile without --once)${given.includes('heal') ? '; to report drift once, use `wirestate drift`' : ''}`);
        await once(dir, opts, o);
      } else {
        await controller(dir, opts, o);
      }
    });
}
