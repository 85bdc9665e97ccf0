// Progress on stderr (stdout stays clean for -o json): a spinner on a terminal, plain lines elsewhere.
import ora, { type Ora } from 'ora';

export interface Progress {
  step(text: string): void;
  count(done: number, total: number, what: string): void;
  succeed(text: string): void;
  fail(text: string): void;
}

export function progress(quiet = false): Progress {
  const spinner: Ora | null = quiet || !process.stderr.isTTY ? null : ora({ stream: process.stderr });
  let last = 0;
  return {
    step(text) {
      if (spinner) spinner.start(text);
    },
    count(done, total, what) {
      // Redraws at most every 100 ms: a thousand endpoints must not mean a thousand repaints.
      const now = Date.now();
      if (!spinner || (now - last < 100 && done !== total)) return;
      last = now;
      spinner.text = `${what} (${done}/${total})`;
    },
    succeed(text) {
      if (spinner) spinner.succeed(text);
      else if (!quiet) process.stderr.write(`${text}\n`);
    },
    fail(text) {
      if (spinner) spinner.fail(text);
    },
  };
}
