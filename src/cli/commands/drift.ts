import { basename } from 'node:path';
import type { Command } from 'commander';
import { computePlan, loadValid } from '../../pipeline/pass.js';
import { driftReport } from '../../reconcile/drift.js';
import { type GlobalOptions, outputFormat, targetFor } from '../context.js';
import { driftHtml } from '../output/drift-html.js';
import { driftMarkdown, driftTable } from '../output/drift-text.js';
import { topology } from '../output/topology.js';

export function register(program: Command): void {
  program
    .command('drift [dir]')
    .description('compare the kernel with DIR and report every difference; changes nothing')
    .addHelpText(
      'after',
      `
Examples:
  wirestate drift --sandbox examples/networks
  wirestate drift -o json /etc/wirestate        # each item has an RFC 6902 patch observed → desired
  wirestate drift -o markdown . > drift.md       # for a pull-request comment
  wirestate drift -o html . > drift.html         # one self-contained page: summary, topology picture, table

Exit status: 0 in sync, 2 drift found, 1 error.`,
    )
    .action(async (dir: string | undefined, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<GlobalOptions>();
      const format = outputFormat(o, ['text', 'json', 'markdown', 'html']);
      const t = await targetFor('drift', dir, o, (s) => process.stderr.write(`${s}\n`));
      const p = await computePlan(await loadValid(t.dir), t);
      const report = driftReport(p.plan);
      if (format === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (format === 'markdown') process.stdout.write(driftMarkdown(report, t.hostNetns ?? basename(t.dir)));
      else if (format === 'html') {
        const topo = topology(p.compiled.desired, p.observed.state, report, p.spec, t.hostName);
        process.stdout.write(driftHtml({ report, topology: topo, host: t.hostNetns ?? 'this host', dir: t.dir, generatedAt: new Date() }));
      } else process.stdout.write(`${driftTable(report)}\n`);
      process.exitCode = report.inSync ? 0 : 2;
    });
}
