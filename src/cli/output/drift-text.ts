// Drift for people (a table) and for pull requests (markdown).
import Table from 'cli-table3';
import type { DriftItem, DriftReport } from '../../reconcile/drift.js';
import { HOST_NS, type Link, type NamespaceState, type Route } from '../../model/state.js';

export const where = (ns: string): string => (ns === HOST_NS ? 'host' : ns);

/** The table's two columns for one item: what the spec wants and what the kernel has. */
export function expectedFound(item: DriftItem): { expected: string; found: string } {
  const show = (v: unknown) => (v === undefined ? '(absent)' : typeof v === 'string' ? v : JSON.stringify(v));
  if (item.detail) return rulesExpectedFound(item.status, item.detail);
  // A field of the object ("mtu: 1500"), or the whole value when the object is one (a sysctl).
  const field = (p: string, v: unknown) => {
    const name = (p.split('/').at(-1) ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
    return name === item.name ? show(v) : `${name}: ${show(v)}`;
  };
  if (item.status === 'changed') {
    // The fields the spec sets, each against what the kernel has. A field the spec leaves unset
    // (a bridge's MAC) is not compared, even where the patch removes it.
    const sets = item.patch.filter((o) => o.op === 'add' || o.op === 'replace') as { path: string; value: unknown }[];
    const observed = new Map(item.patch.filter((o) => o.op === 'test').map((o) => [o.path, (o as { value: unknown }).value]));
    return { expected: sets.map((o) => field(o.path, o.value)).join('\n'), found: sets.map((o) => field(o.path, observed.get(o.path))).join('\n') };
  }
  const whole = item.patch.find((o) => (item.status === 'missing' ? o.op === 'add' : o.op === 'test')) as { value?: unknown } | undefined;
  const present = summary(item.kind, whole?.value);
  return item.status === 'missing' ? { expected: present, found: '(absent)' } : { expected: '(absent)', found: present };
}

/** Firewall rules (and a managed file's lines) as a diff: "+ line" the kernel lacks under expected, "- line" it should not have under found. */
function rulesExpectedFound(status: DriftItem['status'], detail: string[]): { expected: string; found: string } {
  if (detail.includes('~ rule order')) return { expected: 'the same rules, in the spec\u2019s order', found: 'the same rules, in another order' };
  const added = detail.filter((d) => d.startsWith('+ ')).join('\n');
  const removed = detail.filter((d) => d.startsWith('- ')).join('\n');
  if (status === 'missing') return { expected: added || '(empty)', found: '(absent)' };
  if (status === 'extra') return { expected: '(absent)', found: removed || '(empty)' };
  return { expected: added || '(nothing missing)', found: removed || '(nothing extra)' };
}

/** A missing or extra object in a few words: what a person checks first. */
function summary(kind: DriftItem['kind'], v: unknown): string {
  if (kind === 'link' && v && typeof v === 'object') {
    const l = v as Link;
    return [l.kind, l.master && `master ${l.master}`, l.mtu && `mtu ${l.mtu}`, l.up ? 'up' : 'down'].filter(Boolean).join(', ');
  }
  if (kind === 'route' && v && typeof v === 'object') {
    const r = v as Route;
    return r.via ? `via ${r.via}` : 'present';
  }
  if (kind === 'namespace' && v && typeof v === 'object') {
    const n = v as NamespaceState;
    return n.endpoint ? `namespace of endpoint ${n.endpoint}` : 'present';
  }
  return 'present';
}

export function driftTable(report: DriftReport): string {
  if (report.inSync) return 'In sync: the kernel matches the spec.';
  const t = new Table({ head: ['object', 'where', 'drift', 'expected', 'found'], style: { head: [], border: [] } });
  for (const i of report.items) {
    const { expected, found } = expectedFound(i);
    t.push([`${i.kind} ${i.name}`, where(i.namespace), i.status, expected, found]);
  }
  return `${t.toString()}\n${report.items.length} object${report.items.length === 1 ? '' : 's'} drifted.`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, '<br>');

export function driftMarkdown(report: DriftReport, title: string): string {
  if (report.inSync) return `### wirestate drift: ${title}\n\n✅ In sync: the kernel matches the spec.\n`;
  const rows = report.items.map((i) => {
    const { expected, found } = expectedFound(i);
    return `| \`${i.kind} ${cell(i.name)}\` | ${cell(where(i.namespace))} | ${i.status} | ${cell(expected)} | ${cell(found)} |`;
  });
  return [
    `### wirestate drift: ${title}`,
    '',
    `⚠️ ${report.items.length} object${report.items.length === 1 ? '' : 's'} drifted from the spec.`,
    '',
    '| object | where | drift | expected | found |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    '<details><summary>JSON Patch (observed → desired)</summary>',
    '',
    '```json',
    JSON.stringify(report.items.map((i) => ({ kind: i.kind, name: i.name, patch: i.patch })), null, 2),
    '```',
    '</details>',
    '',
  ].join('\n');
}
