// Drift for people (a table) and for pull requests (markdown).
import Table from 'cli-table3';
import type { DriftItem, DriftReport } from '../../reconcile/drift.js';
import { HOST_NS } from '../../model/state.js';

const where = (ns: string) => (ns === HOST_NS ? 'host' : ns);

function expectedFound(item: DriftItem): { expected: string; found: string } {
  const show = (v: unknown) => (v === undefined ? '(absent)' : typeof v === 'string' ? v : JSON.stringify(v));
  if (item.detail) {
    return {
      expected: item.detail.filter((d) => d.startsWith('+ ')).map((d) => d.slice(2)).join('\n') || '(as listed)',
      found: item.detail.filter((d) => d.startsWith('- ')).map((d) => d.slice(2)).join('\n') || '(absent)',
    };
  }
  const tests = item.patch.filter((o) => o.op === 'test');
  const sets = item.patch.filter((o) => o.op === 'add' || o.op === 'replace');
  const field = (p: string) => p.split('/').slice(-1)[0];
  if (item.status === 'changed') {
    return {
      expected: sets.map((o) => `${field(o.path)}: ${show((o as { value: unknown }).value)}`).join('\n'),
      found: tests.map((o) => `${field(o.path)}: ${show((o as { value: unknown }).value)}`).join('\n'),
    };
  }
  return item.status === 'missing' ? { expected: 'present', found: '(absent)' } : { expected: '(absent)', found: 'present' };
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
