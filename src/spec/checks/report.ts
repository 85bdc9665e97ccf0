// Collects semantic errors, positioned through Spec.sources at the value they are about.
import { comparePos, formatPos, specError, type SpecError } from '../errors.js';
import { specPath, type Segment } from '../path.js';
import { sourceOf } from '../sources.js';
import type { SourcePos, Spec } from '../types.js';

export class Report {
  readonly errors: SpecError[] = [];

  constructor(readonly spec: Spec) {}

  /** Where `segments` was written, or its closest written ancestor. */
  at(segments: readonly Segment[]): SourcePos {
    return sourceOf(this.spec, segments) ?? { file: '', line: 0, col: 0 };
  }

  /** "a.yaml:3:13", for messages that name another declaration. */
  where(segments: readonly Segment[]): string {
    return formatPos(this.at(segments));
  }

  /** True when the YAML wrote this path (rather than a default or normalisation filling it in). */
  written(segments: readonly Segment[]): boolean {
    return specPath(segments) in this.spec.sources;
  }

  add(segments: readonly Segment[], message: string): void {
    this.errors.push(specError(this.at(segments), specPath(segments), message));
  }
}

/** Things that must be unique: each one after the first (in file order) is paired with the first. */
export function repeats<T extends { key: string; segments: Segment[] }>(report: Report, items: T[]): [T, T][] {
  const sorted = [...items].sort((a, b) => comparePos(report.at(a.segments), report.at(b.segments)));
  const first = new Map<string, T>();
  const out: [T, T][] = [];
  for (const item of sorted) {
    const earlier = first.get(item.key);
    if (earlier) out.push([item, earlier]);
    else first.set(item.key, item);
  }
  return out;
}
