import type { Command } from 'commander';
import { loadValid, reconcileOnce } from '../../pipeline/pass.js';
import { type GlobalOptions, targetFor } from '../context.js';
import { planLines, planSummary } from '../output/plan-text.js';
import { progress } from '../progress.js';

export function register(program: Command): void {
  program
    .command('reconcile [dir]')
    .description('make the kernel match DIR: observe, diff, apply the smallest set of changes, then verify')
    .option('--once', 'one pass, then exit (the only mode of this version)')
    .option('--allow-empty', 'allow a spec with no networks and no endpoints to remove everything wirestate made')
    .addHelpText(
      'after',
      '\nExamples:\n  wirestate reconcile --once --sandbox examples/networks   # try it in a throwaway namespace\n  wirestate reconcile --once /etc/wirestate                 # the real host\n\nExit status: 0 converged, 1 failed (what was applied and what was not is printed).',
    )
    .action(async (dir: string | undefined, opts: { once?: boolean; allowEmpty?: boolean }, cmd: Command) => {
      const o = cmd.optsWithGlobals<GlobalOptions>();
      if (!opts.once) process.stderr.write('note: the watching control loop is not in this version; running one pass (--once)\n');
      const p = progress();
      const t = await targetFor('reconcile', dir, o, (s) => process.stderr.write(`${s}\n`));
      const spec = await loadValid(t.dir);
      const started = performance.now();
      p.step('observing the kernel');
      try {
        const r = await reconcileOnce(spec, t, { allowEmpty: opts.allowEmpty, onProgress: (d, n, what) => p.count(d, n, what) });
        const ms = Math.round(performance.now() - started);
        for (const w of r.compiled.warnings) process.stderr.write(`warning: ${w}\n`);
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
    });
}
