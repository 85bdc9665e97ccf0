// Looking up where something was written, for messages about it.
import { nearest, type Segment } from './path.js';
import type { SourcePos, Spec } from './types.js';

/**
 * Position of `segments` in the YAML, or of its closest written ancestor: values filled in by
 * defaults (an endpoint's implicit `bridge`) or reached through a YAML alias have none of their own.
 * Maps, lists and empty values are placed at their key; scalars at the value.
 */
export function sourceOf(spec: Spec, segments: readonly Segment[]): SourcePos | undefined {
  return nearest((key) => spec.sources[key], segments);
}
