// --sandbox: a throwaway host namespace, created on first use, so a newcomer never touches the real host.
import { listNetns, run } from './run.js';

export const DEFAULT_SANDBOX = 'wirestate-sandbox';

export async function ensureSandbox(name: string): Promise<boolean> {
  if (listNetns().includes(name)) return false;
  const add = await run('ip', ['netns', 'add', name]);
  if (add.code !== 0) throw new Error(`could not create the namespace: ${add.stderr.trim()}`);
  await run('ip', ['link', 'set', 'lo', 'up'], { netns: name });
  return true;
}
