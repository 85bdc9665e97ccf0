// npm run bench -- [--only SECTION] [--sizes N,N]: npm hands extra arguments to the last command
// of a script, so one entry point forwards them. bench/run.ts measures endpoints, the controller
// and DNS; the published-ports and overlay benchmarks run too unless --only names another section.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const i = args.indexOf('--only');
const only = i >= 0 ? args[i + 1] : 'all';
const sections = [
  ['dist/bench/run.js', !['ports', 'overlay'].includes(only), args],
  ['dist/bench/ports.js', ['all', 'ports'].includes(only), []],
  ['dist/bench/overlay.js', ['all', 'overlay'].includes(only), []],
];
for (const [file, wanted, forwarded] of sections) {
  if (!wanted) continue;
  const r = spawnSync(process.execPath, [file, ...forwarded], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
