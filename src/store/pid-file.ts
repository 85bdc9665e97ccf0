// A long-running service's pid file, which is also its one-instance lock. Whether the pid in it is
// still the holder is for the caller to say: `kill(pid, 0)` is not enough, since a killed service
// whose parent has gone stays a zombie until init reaps it, and init may take its time.
import { open, readFile, unlink } from 'node:fs/promises';
import { LockedError } from './lock.js';

/** Writes this process's pid to `file`, taking it over from a holder that is gone; throws LockedError naming a live one. */
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
