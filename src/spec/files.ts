// Which files make up a desired-state directory: every *.yaml / *.yml below it, in sorted path order.
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ioError, type SpecError } from './errors.js';

const SPEC_FILE = /\.ya?ml$/;

// Dot-entries are skipped: editors' lock and swap files (.#x.yaml, .x.yaml.swp), VCS folders, and the
// `..data` folders of Kubernetes ConfigMap mounts, whose files are reached through symlinks instead.
// Symlinks are followed; `seen` stops directory loops.
async function walk(dir: string, out: string[], seen: Set<string>): Promise<void> {
  const real = await realpath(dir);
  if (seen.has(real)) return;
  seen.add(real);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    const isDir = entry.isSymbolicLink() ? (await stat(full).catch(() => undefined))?.isDirectory() : entry.isDirectory();
    if (isDir) await walk(full, out, seen);
    else if (SPEC_FILE.test(entry.name)) out.push(full);
  }
}

/** `target` may be a directory or a single file (read whatever its name). Paths returned are absolute. */
export async function listSpecFiles(target: string): Promise<{ files: string[] } | { error: SpecError }> {
  const root = path.resolve(target);
  try {
    if (!(await stat(root)).isDirectory()) return { files: [root] };
    const files: string[] = [];
    await walk(root, files, new Set());
    return { files: files.sort() };
  } catch (err) {
    return { error: ioError((err as NodeJS.ErrnoException).path ?? root, err) };
  }
}
