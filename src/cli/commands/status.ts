import type { Command } from 'commander';
import { UserError } from '../../pipeline/pass.js';
import { processAlive } from '../../store/lock.js';
import { readStatus, statusPath } from '../../watch/status.js';
import { type GlobalOptions, hostNetnsOf, outputFormat, stateDirOf } from '../context.js';
import { statusText } from '../output/status-text.js';

export function register(program: Command): void {
  program
    .command('status')
    .description("show the controller's status: conditions, the spec it applied, its last passes, what drifts")
    .addHelpText(
      'after',
      `
Reads the status file the controller (\`wirestate reconcile\` without --once) keeps in the state
directory; needs no root, only read access to that file. Conditions: Ready (the kernel matches a
valid spec), Reconciling (a pass is running, or a failed one will be retried), Stalled (the spec
is invalid or this host rejects it: a person must act).

Examples:
  wirestate status --sandbox
  wirestate status --state-dir /var/lib/wirestate -o json | jq '.conditions'

Exit status: 0 the controller runs and the host is Ready, 2 it runs but is not Ready, 1 no
controller runs (its last status, if any, is still printed).`,
    )
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<GlobalOptions>();
      const format = outputFormat(o, ['text', 'json']);
      const file = statusPath(stateDirOf(o), hostNetnsOf(o));
      const s = await readStatus(file);
      if (!s) throw new UserError(`no controller has run for this host: ${file} does not exist (start one with \`wirestate reconcile DIR\`)`);
      const running = !s.stoppedAt && processAlive(s.pid);
      if (format === 'json') process.stdout.write(`${JSON.stringify({ running, ...s }, null, 2)}\n`);
      else process.stdout.write(statusText(s, running));
      if (!running) {
        process.stderr.write(`error: the controller is not running; this is the last status it wrote (${s.updatedAt})\n`);
        process.exitCode = 1;
        return;
      }
      process.exitCode = s.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 0 : 2;
    });
}
