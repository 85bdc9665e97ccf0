// The controller's log: pino's JSON lines on stderr (for journald and log shippers), or — on a
// terminal — the same records as one readable line each, printed by the small formatter below
// instead of a pino-pretty worker thread.
import pino, { type Logger } from 'pino';
import { colour as pc } from '../cli/colour.js';

export type { Logger };
export type LogFormat = 'json' | 'text';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLOUR: Record<number, (s: string) => string> = { 20: pc.dim, 30: pc.green, 40: pc.yellow, 50: pc.red, 60: pc.red };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

const show = (v: unknown): string => (typeof v === 'string' && !/\s/.test(v) && v !== '' ? v : JSON.stringify(v));

/** One JSON record → `12:00:01.234 INFO  message key=value …`; lists of phrases (errors, changes) as indented lines below. */
export function prettyLine(json: string): string {
  const rec = JSON.parse(json) as Record<string, unknown> & { level: number; time: string; msg?: string };
  const level = LEVELS[rec.level] ?? String(rec.level);
  const time = new Date(rec.time);
  const hhmmss = [time.getHours(), time.getMinutes(), time.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  const fields: string[] = [];
  const lists: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (HIDDEN.has(k)) continue;
    const strings = Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (strings && v.some((x) => /\s/.test(x))) lists.push(...v.map((x) => `    ${x}`));
    else fields.push(`${k}=${strings ? v.join(',') : show(v)}`);
  }
  const head = `${pc.dim(`${hhmmss}.${String(time.getMilliseconds()).padStart(3, '0')}`)} ${(COLOUR[rec.level] ?? String)(level.padEnd(5))} ${rec.msg ?? ''}`;
  return `${[head + (fields.length ? `  ${pc.dim(fields.join(' '))}` : ''), ...lists].join('\n')}\n`;
}

export function createLogger(format: LogFormat, level: string): Logger {
  const write = format === 'json' ? (s: string) => process.stderr.write(s) : (s: string) => process.stderr.write(prettyLine(s));
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, { write });
}
