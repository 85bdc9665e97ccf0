// Running a command to completion for the benchmarks: output collected, bounded in time.
import { spawn } from 'node:child_process';

export interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

export function exec(cmd: string, args: string[], input?: string, env: NodeJS.ProcessEnv = process.env): Promise<Out> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code: code ?? 1, stdout, stderr });
    });
    // A tool that never reads stdin may exit before we finish writing it.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

export async function must(cmd: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<Out> {
  const r = await exec(cmd, args, input, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().slice(0, 800)}`);
  return r;
}
