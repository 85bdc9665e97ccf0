import type { Command } from 'commander';
import { emptySpec, loadValid, reconcileOnce } from '../../pipeline/pass.js';
import { type GlobalOptions, targetFor } from '../context.js';
import { planLines } from '../output/plan-text.js';
import { progress } from '../progress.js';
import { plural } from '../output/words.js';

export function register(program: Command): void {
  program
    .command('down [dir]')
    .description('remove every object wirestate made for DIR: namespaces it created, links, addresses, its firewall chains, endpoint files, the DNS service')
    .addHelpText(
      'after',
      '\nForeign links, rules and namespaces are left alone, and so is the WIRESTATE-USER chain with your rules in it.\n\nExamples:\n  wirestate down --sandbox examples/networks\n\nExit status: 0 removed, 1 failed.',
    )
    .action(async (dir: string | undefined, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<GlobalOptions>();
      const p = progress();
      const t = await targetFor('down', dir, o, (s) => process.stderr.write(`${s}\n`));
      const spec = await loadValid(t.dir);
      p.step('observing the kernel');
      const r = await reconcileOnce(emptySpec(spec), t, { allowEmpty: true, onProgress: (d, n, what) => p.count(d, n, what) });
      for (const l of planLines(r.plan)) process.stdout.write(`${l}\n`);
      if (r.remaining.changes.length) {
        p.fail('some objects are still there');
        for (const l of planLines(r.remaining)) process.stderr.write(`${l}\n`);
        process.exitCode = 1;
        return;
      }
      p.succeed(r.applied ? `removed: ${plural(r.applied, 'change')}` : 'nothing to remove');
    });
}
