// Who listens on which TCP or UDP port in the host namespace: one `ss`.
import { run } from '../kernel/run.js';
import type { Listener } from '../model/state.js';
import { parseSs } from './parse-ss.js';

export async function readListeners(netns: string | null): Promise<Listener[]> {
  const r = await run('ss', ['-Hlnptu'], { netns });
  if (r.code !== 0) throw new Error(`ss failed: ${r.stderr.trim()}`);
  return parseSs(r.stdout);
}
