// `wirestate exec`: a command inside an endpoint, through `ip netns exec` so that
// /etc/netns/<name>/resolv.conf and hosts are bind-mounted over /etc as the endpoint sees them.
import { spawn } from 'node:child_process';

/** `env`: variables set for the command on top of this process's (the endpoint's environment file). */
export function execInNetns(netns: string, argv: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
