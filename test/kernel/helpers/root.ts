// Whether kernel tests can run here. They need root (network namespaces, iptables) and the tools.
import { spawnSync } from 'node:child_process';

/** Why kernel tests cannot run on this machine, or null when they can. */
export function kernelUnavailable(): string | null {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('not running as root');
  for (const [tool, arg] of [
    ['ip', '-V'],
    ['iptables-restore', '--version'],
  ] as const) {
    const r = spawnSync(tool, [arg], { stdio: 'ignore', timeout: 10_000 });
    if (r.error || r.status !== 0) missing.push(`${tool} not found (install iproute2 and iptables)`);
  }
  return missing.length ? missing.join('; ') : null;
}

/**
 * True when kernel tests can run (root, iproute2, iptables); false to skip them:
 *
 *   const kernel = requireRoot();
 *   describe.skipIf(!kernel)('bridge networks', () => { … });
 *
 * With WIRESTATE_REQUIRE_KERNEL=1 (set by .ci/run) a machine that cannot run them is an error,
 * thrown at collection, so CI fails instead of passing with the kernel tests skipped.
 */
export function requireRoot(): boolean {
  const why = kernelUnavailable();
  if (why === null) return true;
  if (process.env.WIRESTATE_REQUIRE_KERNEL === '1') {
    throw new Error(`kernel tests cannot run: ${why}. WIRESTATE_REQUIRE_KERNEL=1 makes this a failure instead of a skip.`);
  }
  return false;
}
