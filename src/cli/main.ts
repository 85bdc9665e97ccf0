// The wirestate command line: parses arguments and hands over to the pipeline; errors the user
// can act on are printed as plain lines (never a stack trace), with exit status 1.
import { Command, Option } from 'commander';
import { bareSandboxFlag } from './argv.js';
import { colour as pc } from './colour.js';
import { MissingToolError } from '../kernel/run.js';
import { ApplyError } from '../apply/index.js';
import { UserError } from '../pipeline/pass.js';
import { LockedError } from '../store/lock.js';
import * as dns from './commands/dns.js';
import * as down from './commands/down.js';
import * as drift from './commands/drift.js';
import * as exec from './commands/exec.js';
import * as network from './commands/network.js';
import * as plan from './commands/plan.js';
import * as reconcile from './commands/reconcile.js';
import * as status from './commands/status.js';
import * as validate from './commands/validate.js';

const program = new Command('wirestate')
  .description('Docker-style container networking for Linux hosts, kept declaratively from YAML.')
  .version('0.1.0')
  .addOption(new Option('--netns <ns>', 'act on the host whose network stack is namespace NS'))
  .addOption(new Option('--sandbox [ns]', 'like --netns, creating the namespace when absent: wirestate-sandbox, or NS given as --sandbox=NS'))
  .addOption(new Option('--host <name>', 'which entry of hosts: this machine is'))
  .addOption(new Option('--state-dir <dir>', 'where allocations are kept').env('WIRESTATE_STATE_DIR').default('/var/lib/wirestate'))
  .addOption(new Option('-o, --output <format>', 'text, json (plan, drift, status, network), markdown or html (drift)').default('text'))
  .addHelpText(
    'after',
    `
Try it without touching your host (root, iproute2 and iptables needed):
  wirestate validate examples/networks
  wirestate reconcile --once --sandbox examples/networks
  wirestate network ls --sandbox
  wirestate exec --sandbox web -- ip addr
  wirestate drift --sandbox examples/networks
  wirestate down --sandbox examples/networks

Keep it so, repairing drift and applying every saved edit (Ctrl-C stops; nothing is torn down):
  wirestate reconcile --sandbox examples/networks
  wirestate status --sandbox`,
  )
  .showHelpAfterError();

for (const m of [validate, plan, reconcile, status, drift, down, network, exec, dns]) m.register(program);

function report(e: unknown): void {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  if (e instanceof UserError) {
    err(pc.red(`error: ${e.message}`));
    for (const l of e.lines) err(`  ${l}`);
  } else if (e instanceof ApplyError || e instanceof MissingToolError || e instanceof LockedError) {
    err(pc.red(`error: ${e.message}`));
  } else if ((e as { code?: string }).code?.startsWith('commander.')) {
    return;
  } else {
    err(pc.red(`internal error: ${(e as Error).stack ?? String(e)}`));
  }
}

program.exitOverride();
try {
  await program.parseAsync(bareSandboxFlag(process.argv));
} catch (e: unknown) {
  report(e);
  const code = (e as { exitCode?: number }).exitCode;
  process.exitCode = typeof code === 'number' ? code : 1;
}
