// Where every key and value of one YAML document was written, indexed by spec path, so errors found
// on plain data (schema and semantic checks) can point at file:line:col.
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { specPath, type Segment } from './path.js';
import type { SourcePos } from './types.js';

export interface NodeEntry {
  segments: Segment[];
  /** The mapping key that introduced the value; absent for list items and the document root. */
  key?: SourcePos;
  /** The value itself; absent when nothing was written after the key (`name:` alone). */
  value?: SourcePos;
  /** True for scalar values: errors about them point at the value, for maps and lists at their key. */
  scalar: boolean;
}

export type NodeIndex = Map<string, NodeEntry>;

/** A key written twice in one map (a YAML error): where the path was first and second set. */
export interface DuplicateKey {
  path: string;
  key: string;
  first: SourcePos;
  second: SourcePos;
}

/** The position an error about this entry, or a declaration, should point at. */
export function entryPos(entry: NodeEntry): SourcePos | undefined {
  return entry.scalar && entry.value ? entry.value : (entry.key ?? entry.value);
}

export function indexNodes(doc: Document, file: string, lines: LineCounter): { nodes: NodeIndex; duplicates: DuplicateKey[] } {
  const index: NodeIndex = new Map();
  const duplicates: DuplicateKey[] = [];
  const pos = (node: Node | null | undefined): SourcePos | undefined => {
    // A key with nothing after it yields a zero-width null scalar after the colon: no place to point at.
    if (!node?.range || node.range[0] === node.range[1]) return undefined;
    const { line, col } = lines.linePos(node.range[0]);
    return { file, line, col };
  };
  const visit = (node: unknown, segments: Segment[], key?: SourcePos): void => {
    const path = specPath(segments);
    const first = index.get(path);
    if (first?.key && key) {
      duplicates.push({ path, key: String(segments.at(-1)), first: first.key, second: key });
      return;
    }
    index.set(path, { segments, key, value: pos(node as Node), scalar: !isMap(node) && !isSeq(node) });
    if (isMap(node)) {
      for (const pair of node.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        visit(pair.value, [...segments, name], pos(pair.key as Node));
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...segments, i]));
    }
  };
  visit(doc.contents, []);
  return { nodes: index, duplicates };
}
