// The digest of a spec: what it means, not how it is written — comments, key order, file layout
// and positions do not change it, so status and logs can say "this exact spec is applied".
import { createHash } from 'node:crypto';
import type { Spec } from '../spec/types.js';

/** JSON with object keys sorted at every level. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function specDigest(spec: Spec): string {
  const { networks, endpoints, hosts, settings } = spec;
  return `sha256:${createHash('sha256').update(canonical({ networks, endpoints, hosts, settings })).digest('hex')}`;
}
