// Bundles the CLI into one file: loading ~200 small modules costs Node ~400 ms per run, one file
// ~100 ms, and every wirestate command pays it. `tsc` still type-checks and builds for the tests.
import { copyFileSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/wirestate.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // Bundled CommonJS dependencies (ajv, commander) call require(); give them one.
  banner: { js: "import { createRequire as __wsRequire } from 'node:module'; const require = __wsRequire(import.meta.url);" },
});

// The namespace reader runs as its own python3 process; src/kernel/nsdump.ts looks for it next to
// the module, which in the bundle is dist/.
copyFileSync('src/kernel/nsdump.py', 'dist/nsdump.py');
// Likewise the helper that opens the DNS service's sockets inside endpoint namespaces (src/kernel/nssockets.ts).
copyFileSync('src/kernel/nssockets.py', 'dist/nssockets.py');
