// One reconciler per host at a time: a lock file holding the owner's pid, taken over when that
// process is gone (a crash must not block the next run forever).
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export class LockedError extends Error {}

/** Whether process `pid` exists (EPERM: it does, but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LockOptions {
  /** The lock file's name in `dir`. */
  file?: string;
  /** What the holder is doing, for the error: "another wirestate (pid N) <busy>". */
  busy?: string;
}

/**
 * Writes this process's pid to `file`, taking it over from a holder that is gone; throws
 * LockedError naming a live one. Whether a pid still holds it is the caller's to say: a killed
 * service whose parent has gone stays a zombie until init reaps it, so `kill(pid, 0)` is not
 * always enough (the DNS service checks /proc/<pid>/cmdline instead).
 */
export async function takePidFile(file: string, holds: (pid: number) => boolean, busy: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return async () => {
        await unlink(file).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && holds(pid)) throw new LockedError(`another wirestate (pid ${pid}) ${busy} (lock: ${file})`);
      await unlink(file).catch(() => undefined);
    }
  }
  throw new LockedError(`could not take ${file}`);
}

export async function acquireLock(dir: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  return takePidFile(join(dir, opts.file ?? 'lock'), processAlive, opts.busy ?? 'is changing this host; wait for it or stop it');
}
