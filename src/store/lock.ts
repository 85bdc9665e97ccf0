// One reconciler per host at a time: a lock file holding the owner's pid, taken over when that
// process is gone (a crash must not block the next run forever).
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export class LockedError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return async () => {
        await unlink(file).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && alive(pid)) {
        throw new LockedError(`another wirestate (pid ${pid}) is changing this host; wait for it or stop it (lock: ${file})`);
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new LockedError(`could not take the lock ${file}`);
}
