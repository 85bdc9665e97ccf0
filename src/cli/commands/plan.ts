import type { Command } from 'commander';
import { computePlan, loadValid } from '../../pipeline/pass.js';
import { type GlobalOptions, outputFormat, targetFor } from '../context.js';
import { planDocument, planLines, planSummary } from '../output/plan-text.js';

export function register(program: Command): void {
  program
    .command('plan [dir]')
    .description('observe the kernel and print the changes reconcile would make; changes nothing')
    .addHelpText('after', '\nExamples:\n  wirestate plan --sandbox examples/networks\n  wirestate plan --netns myhost -o json . | jq \'.changes[].name\'\n\nExit status: 0 nothing to do, 2 changes pending, 1 error.')
    .action(async (dir: string | undefined, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<GlobalOptions>();
      const format = outputFormat(o, ['text', 'json']);
      const t = await targetFor('plan', dir, o, (s) => process.stderr.write(`${s}\n`));
      const p = await computePlan(await loadValid(t.dir), t);
      if (format === 'json') process.stdout.write(`${JSON.stringify(planDocument(p.plan), null, 2)}\n`);
      else {
        for (const w of p.compiled.warnings) process.stderr.write(`warning: ${w}\n`);
        for (const l of planLines(p.plan)) process.stdout.write(`${l}\n`);
        process.stdout.write(`${planSummary(p.plan)}\n`);
      }
      process.exitCode = p.plan.changes.length ? 2 : 0;
    });
}
