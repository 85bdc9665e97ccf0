import type { Command } from 'commander';
import { loadSpec, formatSpecError } from '../../spec/index.js';

export function register(program: Command): void {
  program
    .command('validate [dir]')
    .description('parse and check every YAML file in DIR; needs no root and touches nothing')
    .addHelpText('after', '\nExamples:\n  wirestate validate examples/networks\n  wirestate validate net.yaml\n\nExit status: 0 valid, 1 invalid (every error is printed as file:line:col: path: message).')
    .action(async (dir: string | undefined) => {
      const r = await loadSpec(dir ?? '.');
      if (!r.ok) {
        for (const e of r.errors) process.stderr.write(`${formatSpecError(e)}\n`);
        process.stderr.write(`${r.errors.length} error${r.errors.length === 1 ? '' : 's'} in ${r.files.length} file${r.files.length === 1 ? '' : 's'}\n`);
        process.exitCode = 1;
        return;
      }
      const n = (o: object) => Object.keys(o).length;
      process.stdout.write(`valid: ${n(r.spec.networks)} networks, ${n(r.spec.endpoints)} endpoints in ${r.files.length} files\n`);
    });
}
