import { basename } from 'node:path';
import type { Command } from 'commander';
import { computePlan, loadValid } from '../../pipeline/pass.js';
import { driftReport } from '../../reconcile/drift.js';
import { type GlobalOptions, outputFormat, targetFor } from '../context.js';
import { driftMarkdown, driftTable } from '../output/drift-text.js';

export function register(program: Command): void {
  program
    .command('drift [dir]')
    .description('compare the kernel with DIR and report every difference; changes nothing')
    .addHelpText(
      'after',
      '\nExamples:\n  wirestate drift --sandbox examples/networks\n  wirestate drift -o json /etc/wirestate     # each item has an RFC 6902 patch observed → desired\n  wirestate drift -o markdown . > drift.md    # for a pull-request comment\n\nExit status: 0 in sync, 2 drift found, 1 error.',
    )
    .action(async (dir: string | undefined, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<GlobalOptions>();
      const format = outputFormat(o, ['text', 'json', 'markdown']);
      const t = await targetFor('drift', dir, o, (s) => process.stderr.write(`${s}\n`));
      const p = await computePlan(await loadValid(t.dir), t);
      const report = driftReport(p.plan);
      if (format === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (format === 'markdown') process.stdout.write(driftMarkdown(report, t.hostNetns ?? basename(t.dir)));
      else process.stdout.write(`${driftTable(report)}\n`);
      process.exitCode = report.inSync ? 0 : 2;
    });
}
