// `wirestate status` for people: who watches the host, the conditions, the last passes and what
// still drifts. Times are printed as written in the status file (ISO 8601, UTC), so two people
// comparing notes across time zones read the same instant.
import type { ControllerStatus } from '../../watch/status.js';
import { formatDuration } from '../../watch/duration.js';
import { driftTable } from './drift-text.js';

/** Left-aligned columns two spaces apart; the last column is not padded. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

const shortDigest = (d: string | null): string => (d ? d.slice(0, 'sha256:'.length + 12) : 'none');

/** `running` is whether the process that wrote the status still exists. */
export function statusText(s: ControllerStatus, running: boolean): string {
  const host = s.hostNetns ? `host namespace ${s.hostNetns}` : 'this host';
  const state = s.stoppedAt
    ? `stopped at ${s.stoppedAt} (pid ${s.pid})`
    : running
      ? `running (pid ${s.pid}) since ${s.startedAt}`
      : `not running: pid ${s.pid} is gone without a clean stop (last update ${s.updatedAt})`;
  const out = [
    `wirestate controller of ${host}`,
    `  state:    ${state}`,
    `  watching: ${s.dir}  (${s.mode}, resync every ${formatDuration(s.resyncMs)})`,
    `  spec:     last applied ${shortDigest(s.lastAppliedDigest)}, last attempted ${shortDigest(s.lastAttemptedDigest)}`,
    '',
    ...columns([['CONDITION', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'], ...s.conditions.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime, c.message])]),
  ];
  if (s.specErrors.length) out.push('', 'SPEC ERRORS (the last valid spec stays in force)', ...s.specErrors.map((e) => `  ${e}`));
  out.push('', 'LAST PASSES (newest first)');
  if (s.passes.length === 0) out.push('  none yet');
  else {
    const rows = s.passes.map((p) => [p.startedAt, p.trigger.join(','), `${p.durationMs} ms`, String(p.changes), String(p.drift), p.error ? `failed: ${p.error}` : 'ok']);
    out.push(...columns([['STARTED', 'TRIGGER', 'TOOK', 'CHANGES', 'DRIFT', 'RESULT'], ...rows]));
  }
  out.push('', s.mode === 'heal' ? 'DRIFT AFTER THE LAST PASS' : 'DRIFT (report-only: not repaired)', driftTable(s.drift));
  if (s.drift.total > s.drift.items.length) out.push(`(${s.drift.total - s.drift.items.length} more not kept in the status file: run \`wirestate drift\`)`);
  return `${out.join('\n')}\n`;
}
