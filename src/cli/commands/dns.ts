import type { Command } from 'commander';
import { runDnsService } from '../../dns/run.js';
import { listNetns } from '../../kernel/run.js';
import { inNetns, runForeground } from '../../kernel/service.js';
import { UserError } from '../../pipeline/pass.js';
import { DNS_SERVICE } from '../../reconcile/name-service.js';
import { servicePaths } from '../../store/run-dir.js';
import { type GlobalOptions, hostNetnsOf, requireRoot } from '../context.js';

export function register(program: Command): void {
  program
    .command('dns')
    .description('run the embedded DNS resolver: answers at 127.0.0.11 inside every endpoint on a user-defined network, until stopped')
    .addHelpText(
      'after',
      `
\`wirestate reconcile\` starts it in the background and keeps it serving the current records, so
running it by hand is for a service manager or for watching it work. One process serves every
endpoint of the host; it runs in the host's namespace (with --netns, it enters it), reads the
records reconcile writes to /run/wirestate/<host>/dns/records, reloads them on SIGHUP, and stops
on SIGTERM or SIGINT. \`wirestate down\` stops it when no endpoint needs it any more.

Examples:
  wirestate dns                    # the real host, in the foreground
  wirestate dns --sandbox          # the sandbox host of \`reconcile --sandbox\`

Exit status: 0 after a clean stop, 1 when it could not start (another one serves this host).`,
    )
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<GlobalOptions>();
      requireRoot('dns');
      const hostNetns = hostNetnsOf(o);
      if (hostNetns !== null && !hostNetns.includes('/') && !listNetns().includes(hostNetns)) {
        throw new UserError(`host network namespace ${hostNetns} does not exist; \`wirestate reconcile --once\` makes it for --sandbox`);
      }
      // Forwarding to the host's resolvers must come from the host's namespace, as Docker does it.
      if (!inNetns(hostNetns)) {
        process.exitCode = await runForeground(hostNetns as string, process.argv.slice(2));
        return;
      }
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} dns: ${line}\n`);
      await runDnsService(servicePaths(hostNetns, DNS_SERVICE), log);
    });
}
