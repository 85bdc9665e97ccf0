// Managed files: each written whole to a temporary name beside it and renamed over, so a reader
// sees the old file or the new one, never half of one. A deleted endpoint file takes its
// /etc/netns/<name>/ directory with it once that is empty.
import { mkdir, rename, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Change } from '../model/plan.js';
import { ETC_NETNS } from '../reconcile/files/paths.js';

export type FileChange = Extract<Change, { kind: 'file' }>;

/** What apply's execution offers a step: settle a change, and skip a namespace that could not be made. */
export interface Steps {
  done(c: Change): void;
  fail(c: Change, error: string): void;
  runnable(changes: Change[], key: string): boolean;
}

async function write(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.wirestate-${process.pid}.tmp`;
  try {
    await writeFile(tmp, content, { mode: 0o644 });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

async function remove(path: string): Promise<void> {
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  const dir = dirname(path);
  // Only an endpoint's own directory; ENOTEMPTY: something else still lives there.
  if (dirname(dir) === ETC_NETNS) await rmdir(dir).catch(() => undefined);
}

export async function applyFiles(ex: Steps, changes: FileChange[]): Promise<void> {
  const runnable = changes.filter((c) => ex.runnable([c], c.namespace));
  await Promise.all(
    runnable.map(async (c) => {
      try {
        if (c.action === 'delete') await remove(c.path);
        else await write(c.path, c.content ?? '');
        ex.done(c);
      } catch (e) {
        ex.fail(c, (e as Error).message);
      }
    }),
  );
}
