import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { execInNetns } from '../../kernel/exec.js';
import { listNetns } from '../../kernel/run.js';
import { UserError } from '../../pipeline/pass.js';
import { parseEnvironment } from '../../reconcile/files/environment.js';
import { endpointFile, hasEtcDir } from '../../reconcile/files/paths.js';
import { endpointNetnsName } from '../../reconcile/names.js';
import { loadSpec } from '../../spec/index.js';
import { type GlobalOptions, targetFor } from '../context.js';

export function register(program: Command): void {
  program
    .command('exec <endpoint> <command...>')
    .description("run COMMAND inside ENDPOINT's network namespace, with its resolv.conf, hosts and environment (proxies, link variables)")
    .option('-d, --dir <dir>', 'the desired-state directory, to find endpoints that name their own namespace', '.')
    .addHelpText('after', '\nExamples:\n  wirestate exec --sandbox web -- ip addr\n  wirestate exec --sandbox api -- ping -c1 10.20.0.20\n\nExit status: the command\'s.')
    .action(async (endpoint: string, argv: string[], opts: { dir: string }, cmd: Command) => {
      const o = cmd.optsWithGlobals<GlobalOptions>();
      const t = await targetFor('exec', opts.dir, o, () => undefined);
      const r = await loadSpec(t.dir);
      const declared = r.ok ? r.spec.endpoints[endpoint]?.netns : undefined;
      const netns = declared ?? endpointNetnsName(t.hostNetns, endpoint);
      if (!declared && !listNetns().includes(netns)) {
        throw new UserError(`endpoint "${endpoint}" has no namespace here (looked for ${netns}); run \`wirestate reconcile --once\` first`);
      }
      const env = hasEtcDir(netns) ? await readFile(endpointFile(netns, 'environment'), 'utf8').catch(() => '') : '';
      process.exitCode = await execInNetns(netns, argv, parseEnvironment(env));
    });
}
