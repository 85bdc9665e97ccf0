// Key files as triggers: the keyFile of every encrypted overlay in the last valid spec (the only
// files a spec names besides its YAML), read on every pass so that editing one rotates the keys.
// Each file's folder is watched rather than the file: a key replaced by rename (editors, `mv`,
// `install`), deleted, or created after the watch began is seen by its name, where a watch on the
// file would stay on the old inode. As for spec files, a change counts once the writes have
// settled, so a pass does not read a half-written key. Only paths are ever passed on, never content.
// Not chokidar, as spec files are: watching the file paths, chokidar 5 did not report a
// Kubernetes `..data` swap (tried).
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Kubernetes publishes a new version of a Secret or ConfigMap volume by renaming this link: every file in the folder changed. */
const ATOMIC_SWAP = '..data';
/** Quiet time after the last event on a file before it counts as changed. */
const SETTLE_MS = 100;

export interface KeyFileWatcher {
  /** From now on, watches exactly these files (absolute paths). */
  follow(files: readonly string[]): void;
  close(): void;
}

/** Pure: folder → the names to watch in it. */
export function foldersOf(files: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const file of files) {
    const names = out.get(dirname(file)) ?? new Set<string>();
    names.add(basename(file));
    out.set(dirname(file), names);
  }
  return out;
}

/** Pure: which of a folder's watched `names` an event on `name` there changes (no name given: any of them). */
export function changedBy(names: ReadonlySet<string>, name: string | null): string[] {
  if (name === null || name === ATOMIC_SWAP) return [...names];
  return names.has(name) ? [name] : [];
}

/**
 * Calls `onChange` with the path of a followed file once it was written, replaced, created or
 * removed; `onError` once for a folder that cannot be watched (its files' changes are then found at
 * the next resync).
 */
export function watchKeyFiles(onChange: (file: string) => void, onError: (folder: string, e: Error) => void): KeyFileWatcher {
  let watchers: FSWatcher[] = [];
  let failing = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const changed = (file: string): void => {
    clearTimeout(timers.get(file));
    timers.set(
      file,
      setTimeout(() => {
        timers.delete(file);
        onChange(file);
      }, SETTLE_MS),
    );
  };
  const closeAll = (): void => {
    for (const w of watchers) w.close();
    watchers = [];
  };
  return {
    follow(files) {
      // Made anew on every call (once per spec read): a watch the kernel dropped when its folder was
      // removed comes back with the folder at the next pass that reads the spec.
      closeAll();
      for (const [file, timer] of timers) {
        if (files.includes(file)) continue;
        clearTimeout(timer);
        timers.delete(file);
      }
      const failed = new Set<string>();
      for (const [folder, names] of foldersOf(files)) {
        try {
          const w = watch(folder, { persistent: false }, (_event, name) => {
            for (const n of changedBy(names, name)) changed(join(folder, n));
          });
          w.on('error', (e) => onError(folder, e));
          watchers.push(w);
        } catch (e) {
          failed.add(folder);
          // A folder that stays missing is reported once, not on every pass.
          if (!failing.has(folder)) onError(folder, e as Error);
        }
      }
      failing = failed;
    },
    close() {
      closeAll();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
