// Running the built CLI the way users do: `node bin/wirestate.js …` (what `npx wirestate` runs).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from './proc.js';

/** The checkout's root directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const cliPath = join(repoRoot, 'bin', 'wirestate.js');

export interface CliOptions {
  /** Working directory; default the checkout's root (so relative paths like examples/networks work). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Default 120 s: a reconcile of many endpoints is slow on a loaded machine. */
  timeoutMs?: number;
}

/** Runs `node bin/wirestate.js ARGS…`; needs `npm run build` first (the bin imports dist/). */
export async function runCli(args: readonly string[], opts: CliOptions = {}): Promise<RunResult> {
  if (!existsSync(join(repoRoot, 'dist', 'wirestate.mjs'))) {
    throw new Error(`dist/wirestate.mjs is missing: run \`npm run build\` in ${repoRoot} first`);
  }
  return run(process.execPath, [cliPath, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}
