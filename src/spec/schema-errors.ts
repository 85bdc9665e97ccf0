// Turns ajv's errors into one plain-words problem per mistake. ajv reports every branch of a union
// (`anyOf`) that failed; people want the branch their value was obviously meant for, or one
// "must be a list or a map" when it fits none.
import type { ErrorObject } from 'ajv';
import type { Segment } from './path.js';
import { closest } from './suggest.js';

type Schema = Record<string, unknown>;

export interface SchemaProblem {
  /** Where in the data, list indices as numbers so paths print as `ports[2]`. */
  segments: Segment[];
  /** Where the error points: the value, the offending key, or the parent map (missing key). */
  at: 'value' | 'key' | 'parent';
  /** For `at: 'key'`: the unknown key. */
  key?: string;
  message: string;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function schemaAt(root: Schema, schemaPath: string): Schema {
  return schemaPath
    .split('/')
    .slice(1)
    .reduce<unknown>((node, s) => (node as Schema)[unescapePointer(decodeURIComponent(s))], root) as Schema;
}

function dataAt(root: unknown, instancePath: string): unknown {
  return instancePath
    .split('/')
    .slice(1)
    .reduce<unknown>((node, s) => (node as Record<string, unknown>)[unescapePointer(s)], root);
}

function segmentsOf(root: unknown, instancePath: string): Segment[] {
  const segments: Segment[] = [];
  let node = root;
  for (const raw of instancePath.split('/').slice(1)) {
    const s = unescapePointer(raw);
    segments.push(Array.isArray(node) ? Number(s) : s);
    node = (node as Record<string, unknown>)[s];
  }
  return segments;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function fitsType(schema: Schema, value: unknown): boolean {
  const t = jsonType(value);
  if (schema.type === 'integer') return t === 'number' && Number.isInteger(value);
  return schema.type === t;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  null: 'empty',
};

function oneOfWords(words: string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** The value's own errors under the branch that fits its type; ajv's errors about other branches go. */
function reduceUnions(errors: ErrorObject[], schema: Schema, data: unknown): ErrorObject[] {
  let live = [...errors];
  const unions = errors.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const union of unions) {
    if (!live.includes(union)) continue;
    const within = (e: ErrorObject, prefix: string): boolean =>
      e.schemaPath.startsWith(prefix) &&
      (e.instancePath === union.instancePath || e.instancePath.startsWith(`${union.instancePath}/`));
    const branches = schemaAt(schema, union.schemaPath) as unknown as Schema[];
    const value = dataAt(data, union.instancePath);
    const fit = branches.findIndex((b) => fitsType(b, value));
    let replacement: ErrorObject | undefined;
    if (branches.every((b) => 'const' in b)) {
      replacement = { ...union, keyword: 'enum', params: { allowedValues: branches.map((b) => b.const) } };
    } else if (fit < 0) {
      const types = branches.map((b) => String(b.type)).filter((t) => t !== 'null');
      replacement = { ...union, keyword: 'type', params: { type: types.join(',') } };
    }
    // The fitting branch's errors stay, to be reduced in turn when they are unions themselves.
    const keep = replacement ? undefined : `${union.schemaPath}/${fit}/`;
    live = live.filter((e) => e !== union && (!within(e, `${union.schemaPath}/`) || (keep !== undefined && within(e, keep))));
    if (replacement) live.push(replacement);
  }
  return live;
}

const PATTERN_WORDS: Record<string, string> = {
  '^[A-Za-z0-9][A-Za-z0-9_.-]*$': 'is not a valid interface name (letters, digits, "_", "." and "-", starting with a letter or digit)',
  '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$': 'is not a MAC address',
  '^[0-9]+(-[0-9]+)?$': 'is not a port or a port range',
};

const FORMAT_WORDS: Record<string, string> = {
  ipv4: 'is not an IPv4 address',
  cidr4: 'is not an IPv4 CIDR',
};

function words(e: ErrorObject, schema: Schema, value: unknown): string {
  const p = e.params as Record<string, unknown>;
  const shown = JSON.stringify(value);
  switch (e.keyword) {
    case 'type': {
      const expected = oneOfWords(String(p.type).split(',').map((t) => TYPE_WORDS[t] ?? t));
      return value === null ? `is empty; expected ${expected}` : `must be ${expected}`;
    }
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'format':
      return `${shown} ${FORMAT_WORDS[String(p.format)] ?? `is not in format ${String(p.format)}`}`;
    case 'pattern':
      return `${shown} ${PATTERN_WORDS[String(p.pattern)] ?? `does not match ${String(p.pattern)}`}`;
    case 'minimum':
      return `must be at least ${String(p.limit)}`;
    case 'maximum':
      return `must be at most ${String(p.limit)}`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`;
    case 'minItems':
      return p.limit === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} items`;
    case 'required':
      return `missing required key "${String(p.missingProperty)}"`;
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const parent = schemaAt(schema, e.schemaPath.replace(/\/additionalProperties$/, ''));
      const guess = closest(key, Object.keys((parent.properties as Schema | undefined) ?? {}));
      return `unknown key "${key}"${guess ? `; did you mean "${guess}"?` : ''}`;
    }
    default:
      return e.message ?? e.keyword;
  }
}

export function schemaProblems(errors: ErrorObject[], schema: Schema, data: unknown): SchemaProblem[] {
  return reduceUnions(errors, schema, data).map((e) => {
    const segments = segmentsOf(data, e.instancePath);
    const message = words(e, schema, dataAt(data, e.instancePath));
    if (e.keyword === 'additionalProperties') return { segments, at: 'key', key: String(e.params.additionalProperty), message };
    return { segments, at: e.keyword === 'required' ? 'parent' : 'value', message };
  });
}
