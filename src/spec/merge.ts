// Many files → one Spec: declarations are collected, a name declared in two files is an error
// naming both, and every written position is kept in `sources` for later messages.
import { formatPos, specError, type SpecError } from './errors.js';
import { entryPos } from './nodes.js';
import { normaliseEndpoint, normaliseNetwork } from './normalise.js';
import type { ParsedFile } from './parse.js';
import { specPath, type Segment } from './path.js';
import type { SourcePos, Spec } from './types.js';

function emptySpec(): Spec {
  return { networks: {}, endpoints: {}, hosts: {}, settings: {}, sources: {} };
}

class Merger {
  readonly spec = emptySpec();
  readonly errors: SpecError[] = [];
  private readonly declared = new Map<string, SourcePos>();

  add(f: ParsedFile): void {
    const at = (segments: Segment[]): SourcePos => {
      const entry = f.nodes.get(specPath(segments));
      return (entry && entryPos(entry)) ?? { file: f.file, line: 1, col: 1 };
    };
    // Declarations this file wins; its positions below them go to `sources`, a losing duplicate's do not.
    const owned = new Set<string>();
    const claim = (segments: Segment[]): boolean => {
      const path = specPath(segments);
      const here = at(segments);
      const first = this.declared.get(path);
      if (first) {
        this.errors.push(specError(here, path, `declared twice, in ${formatPos(first)} and ${formatPos(here)}`));
        return false;
      }
      this.declared.set(path, here);
      owned.add(path);
      return true;
    };

    for (const [name, body] of Object.entries(f.data.networks ?? {})) {
      if (claim(['networks', name])) this.spec.networks[name] = normaliseNetwork(body);
    }
    for (const [name, body] of Object.entries(f.data.endpoints ?? {})) {
      if (!claim(['endpoints', name])) continue;
      this.spec.endpoints[name] = normaliseEndpoint(body);
      const listed = body?.networks;
      if (Array.isArray(listed)) this.addListed(name, listed, at);
    }
    for (const [name, body] of Object.entries(f.data.hosts ?? {})) {
      if (claim(['hosts', name])) this.spec.hosts[name] = body;
    }
    // `settings: {}` sets nothing, so it cannot clash with the file that does set them.
    const { settings } = f.data;
    if (settings && Object.keys(settings).length > 0 && claim(['settings'])) this.spec.settings = settings;

    for (const [path, entry] of f.nodes) {
      const [kind, name] = entry.segments;
      const owner = kind === 'settings' ? 'settings' : entry.segments.length > 1 ? specPath([kind!, name!]) : undefined;
      const pos = entryPos(entry);
      if (pos && path !== '' && (owner ? owned.has(owner) : !(path in this.spec.sources))) this.spec.sources[path] = pos;
    }
  }

  /** A list of network names: each attachment is sourced at its list item, and a name may appear once. */
  private addListed(endpoint: string, listed: string[], at: (segments: Segment[]) => SourcePos): void {
    const seen = new Set<string>();
    listed.forEach((network, i) => {
      const item = at(['endpoints', endpoint, 'networks', i]);
      if (seen.has(network)) {
        this.errors.push(specError(item, specPath(['endpoints', endpoint, 'networks', i]), `network "${network}" is listed twice`));
      }
      seen.add(network);
      this.spec.sources[specPath(['endpoints', endpoint, 'networks', network])] ??= item;
    });
  }
}

export function mergeFiles(files: ParsedFile[]): { spec: Spec; errors: SpecError[] } {
  const merger = new Merger();
  for (const f of files) merger.add(f);
  return { spec: merger.spec, errors: merger.errors };
}
