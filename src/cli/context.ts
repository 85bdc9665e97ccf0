// Turns global options into a Target: which host namespace, which state directory, and the
// checks every kernel command shares (root, sandbox creation).
import { resolve } from 'node:path';
import { DEFAULT_SANDBOX, ensureSandbox } from '../kernel/sandbox.js';
import { UserError, type Target } from '../pipeline/pass.js';
import { DEFAULT_STATE_DIR } from '../store/state-file.js';

export interface GlobalOptions {
  netns?: string;
  sandbox?: string | boolean;
  host?: string;
  stateDir?: string;
  output?: string;
}

export function requireRoot(command: string): void {
  if (process.getuid?.() !== 0) {
    throw new UserError(`wirestate ${command} needs root: it reads and changes network namespaces, links and the firewall. Run it with sudo.`);
  }
}

/** The host namespace --netns or --sandbox names (null: the namespace wirestate runs in). */
export function hostNetnsOf(o: GlobalOptions): string | null {
  if (o.netns && o.sandbox) throw new UserError('use either --netns or --sandbox, not both');
  if (o.sandbox) return typeof o.sandbox === 'string' ? o.sandbox : DEFAULT_SANDBOX;
  return o.netns ?? null;
}

export const stateDirOf = (o: GlobalOptions): string => o.stateDir ?? process.env.WIRESTATE_STATE_DIR ?? DEFAULT_STATE_DIR;

export async function targetFor(command: string, dir: string | undefined, o: GlobalOptions, log: (s: string) => void): Promise<Target> {
  requireRoot(command);
  const hostNetns = hostNetnsOf(o);
  if (o.sandbox && hostNetns) {
    try {
      if (await ensureSandbox(hostNetns)) log(`created sandbox host namespace ${hostNetns} (remove it with: ip netns del ${hostNetns})`);
    } catch (e) {
      throw new UserError(`--sandbox=${hostNetns}: ${(e as Error).message}`);
    }
  }
  return { dir: resolve(dir ?? '.'), hostNetns, hostName: o.host, stateDir: stateDirOf(o) };
}

export type OutputFormat = 'text' | 'json' | 'markdown' | 'html';

export function outputFormat(o: GlobalOptions, allowed: OutputFormat[]): OutputFormat {
  const f = (o.output ?? 'text') as OutputFormat;
  if (!allowed.includes(f)) throw new UserError(`-o ${o.output}: expected one of ${allowed.join(', ')}`);
  return f;
}
