// `--sandbox` takes its namespace name only as `--sandbox=NAME`. As an option with an optional
// value, commander would otherwise take the next word — the spec directory of
// `reconcile --sandbox examples/networks`, the endpoint of `exec --sandbox api -- …` — as the name.
import { DEFAULT_SANDBOX } from '../kernel/sandbox.js';

/** argv with each bare `--sandbox` (before any `--`) spelt `--sandbox=wirestate-sandbox`. */
export function bareSandboxFlag(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((a, i) => (a === '--sandbox' && (end < 0 || i < end) ? `--sandbox=${DEFAULT_SANDBOX}` : a));
}
