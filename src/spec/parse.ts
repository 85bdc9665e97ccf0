// One YAML file → its data, where each node was written, and its syntax and schema errors.
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { SpecFile } from '../../schemas/spec.js';
import { specError, type SpecError } from './errors.js';
import { indexNodes, type DuplicateKey, type NodeIndex } from './nodes.js';
import type { SourcePos } from './types.js';
import { validateSpecFile } from './validate.js';

export interface ParsedFile {
  file: string;
  /** Valid against the schema when `errors` is empty; an empty file is `{}`. */
  data: SpecFile;
  nodes: NodeIndex;
  errors: SpecError[];
}

function yamlError(err: YAMLError, pos: SourcePos, duplicates: DuplicateKey[]): SpecError {
  if (err.code === 'MULTIPLE_DOCS') {
    return specError(pos, '', 'a file holds one YAML document; move what follows "---" to a file of its own');
  }
  const dup = err.code === 'DUPLICATE_KEY' && duplicates.find((d) => d.second.line === pos.line && d.second.col === pos.col);
  if (dup) return specError(pos, dup.path, `duplicate key "${dup.key}" (first set on line ${dup.first.line})`);
  // "Map keys must be unique" → "map keys …", like every other message; "YAML …" keeps its capitals.
  const message = /^[A-Z][a-z]/.test(err.message) ? err.message[0]!.toLowerCase() + err.message.slice(1) : err.message;
  return specError(pos, '', message);
}

export function parseSpecFile(file: string, text: string): ParsedFile {
  const lines = new LineCounter();
  // Without YAML 1.1's !!binary, !!set, !!timestamp… every value is plain JSON data; those tags
  // then stay strings and the schema says what was expected instead.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, resolveKnownTags: false });
  const { nodes, duplicates } = indexNodes(doc, file, lines);
  const errors = doc.errors.map((err) => yamlError(err, { file, ...lines.linePos(err.pos[0]) }, duplicates));
  // As a name it would replace an object's prototype once merged, rather than become an entry.
  for (const [path, entry] of nodes) {
    if (entry.segments.at(-1) === '__proto__') errors.push(specError(entry.key ?? { file, line: 1, col: 1 }, path, '"__proto__" cannot be used as a key'));
  }
  if (errors.length > 0) return { file, data: {}, nodes, errors };
  const data: unknown = doc.toJS() ?? {};
  return { file, data: data as SpecFile, nodes, errors: validateSpecFile(file, data, nodes) };
}
