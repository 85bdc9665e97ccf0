// A full garbage collection after each pass. A pass over a thousand endpoints allocates tens of
// megabytes that V8, left alone, keeps as headroom for a long time: measured at 1000 endpoints,
// 15 passes left the controller at 169 MB resident with ~45 MB of it live; collecting after each
// pass kept it at 130 MB. Node offers gc() only under --expose-gc, which a service's users should
// not have to pass: the flag is set at run time and gc() taken from a fresh context, which then has it.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

export function fullCollector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  // Each full collection also ages compiled code, and code unused for a few of them is dropped:
  // the YAML loader, run only on edits, was then compiled afresh for every edit (+300 ms at 1000 endpoints).
  v8.setFlagsFromString('--no-flush-bytecode');
  return runInNewContext('gc') as () => void;
}
