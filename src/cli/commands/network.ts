import Table from 'cli-table3';
import type { Command } from 'commander';
import { HOST_NS } from '../../model/state.js';
import { observe } from '../../observe/index.js';
import { UserError } from '../../pipeline/pass.js';
import { ownedNetnsPrefix } from '../../reconcile/names.js';
import { formatSpecError, loadSpec } from '../../spec/index.js';
import { hostStateDir, readState } from '../../store/state-file.js';
import { type GlobalOptions, outputFormat, targetFor } from '../context.js';
import { type NetworkView, networkViews } from '../output/network-view.js';

/** Underlay address → host name, from the `hosts:` of the spec in `dir`; none without one. */
async function hostNames(dir: string | undefined): Promise<Map<string, string>> {
  if (dir === undefined) return new Map();
  const r = await loadSpec(dir);
  if (!r.ok) throw new UserError(`${dir}: the spec is invalid`, r.errors.map(formatSpecError));
  // validate rejects two hosts with one address, so this is one to one.
  return new Map(Object.entries(r.spec.hosts).map(([name, h]) => [h.address, name]));
}

async function views(cmd: Command, dir?: string): Promise<{ views: NetworkView[]; format: 'text' | 'json' }> {
  const o = cmd.optsWithGlobals<GlobalOptions>();
  const format = outputFormat(o, ['text', 'json']) as 'text' | 'json';
  const t = await targetFor('network', undefined, o, (s) => process.stderr.write(`${s}\n`));
  const names = await hostNames(dir);
  const stored = await readState(hostStateDir(t.stateDir, t.hostNetns));
  const observed = await observe({ hostNetns: t.hostNetns, namespaces: stored.namespaces, ownedPrefix: ownedNetnsPrefix(t.hostNetns), sysctls: { [HOST_NS]: [] }, firewall: true });
  return { views: networkViews(observed.state, names), format };
}

export function register(program: Command): void {
  const network = program.command('network').description('Docker-shaped views of the networks as they are in the kernel');
  network
    .command('ls')
    .description('list networks: the ones wirestate made, plus the built-in host and none')
    .addHelpText('after', '\nExamples:\n  wirestate network ls --sandbox\n  wirestate network ls -o json')
    .action(async (_o: unknown, cmd: Command) => {
      const { views: vs, format } = await views(cmd);
      if (format === 'json') {
        const rows = vs.map((v) => ({ ID: v.Id.slice(0, 12), Name: v.Name, Driver: v.Driver, Scope: v.Scope, Internal: v.Internal, IPv6: v.EnableIPv6, Subnet: v.IPAM.Config[0]?.Subnet ?? '' }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const t = new Table({ head: ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE', 'SUBNET'], style: { head: [], border: [], compact: true }, chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' } });
      for (const v of vs) t.push([v.Id.slice(0, 12), v.Name, v.Driver, v.Scope, v.IPAM.Config[0]?.Subnet ?? '']);
      process.stdout.write(`${t.toString()}\n`);
    });
  network
    .command('inspect <name...>')
    .description('show networks in detail, as `docker network inspect` does (JSON)')
    .option('-d, --dir <dir>', "a desired-state directory: its hosts: name an overlay's Peers (else they are named by address)")
    .addHelpText('after', '\nExamples:\n  wirestate network inspect --sandbox frontend backend\n  wirestate network inspect --netns host-a -d /etc/wirestate shared')
    .action(async (names: string[], opts: { dir?: string }, cmd: Command) => {
      const { views: vs } = await views(cmd, opts.dir);
      const found = names.map((n) => vs.find((v) => v.Name === n || v.Id.startsWith(n)));
      process.stdout.write(`${JSON.stringify(found.filter(Boolean), null, 2)}\n`);
      const missing = names.filter((_, i) => !found[i]);
      if (missing.length) throw new UserError(missing.map((n) => `no such network: ${n}`).join('\n'));
    });
}
