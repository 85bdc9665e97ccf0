// Pure rendering of one table's chain/jump changes into one `iptables-restore --noflush` input:
// the table changes atomically or not at all.
import type { Change } from '../model/plan.js';
import type { TableName } from '../model/state.js';

export type FirewallChange = Extract<Change, { kind: 'chain' | 'jumps' }>;

const CHAIN = /^[A-Za-z0-9_.-]{1,28}$/;

function chainName(c: string): string {
  if (!CHAIN.test(c)) throw new Error(`invalid chain name: ${JSON.stringify(c)}`);
  return c;
}

function rule(r: string): string {
  if (/[\n\r]/.test(r) || r.trim() === '') throw new Error(`invalid rule: ${JSON.stringify(r)}`);
  return r;
}

/**
 * `present`: the wirestate jumps each built-in chain holds right now (a `-D` of a rule that is not
 * there would fail the whole table). The desired jumps are inserted at the top in order.
 */
export function renderRestore(table: TableName, changes: readonly FirewallChange[], present: Readonly<Record<string, readonly string[]>>): string {
  const chains = changes.filter((c): c is Extract<FirewallChange, { kind: 'chain' }> => c.kind === 'chain');
  const jumps = changes.filter((c): c is Extract<FirewallChange, { kind: 'jumps' }> => c.kind === 'jumps');
  const lines = [`*${table}`];
  // Declaring an existing chain flushes it: that empties updated and deleted chains. The user's
  // chain (rules null) is declared only when it is created, so its rules are never flushed.
  const declared = chains.filter((c) => c.action !== 'update' || c.rules !== null);
  for (const c of declared) lines.push(`:${chainName(c.chain)} - [0:0]`);
  for (const j of jumps) for (const r of present[j.chain] ?? []) lines.push(`-D ${chainName(j.chain)} ${rule(r)}`);
  for (const c of chains) if (c.action !== 'delete' && c.rules) for (const r of c.rules) lines.push(`-A ${c.chain} ${rule(r)}`);
  for (const j of jumps) for (const r of [...j.rules].reverse()) lines.push(`-I ${chainName(j.chain)} 1 ${rule(r)}`);
  for (const c of chains) if (c.action === 'delete') lines.push(`-X ${c.chain}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
