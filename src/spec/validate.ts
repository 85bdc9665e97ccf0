// Checks one file's data against the SpecFile JSON Schema and positions each problem in the YAML.
import type { ErrorObject } from 'ajv';
import { validate } from '../../schemas/spec-file-validator.js';
import SpecFile from '../../schemas/wirestate.schema.json' with { type: 'json' };
import { specError, type SpecError } from './errors.js';
import { entryPos, type NodeIndex } from './nodes.js';
import { nearest, specPath } from './path.js';
import { schemaProblems, type SchemaProblem } from './schema-errors.js';
import type { SourcePos } from './types.js';

/** ajv's generated validator (schemas/emit.ts): errors on the function, as ajv's compiled ones. */
const validator = validate as ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

function locate(problem: SchemaProblem, nodes: NodeIndex): SourcePos | undefined {
  const { segments } = problem;
  const key = problem.at === 'key' ? nodes.get(specPath([...segments, problem.key!]))?.key : undefined;
  const entry = nearest((path) => nodes.get(path), segments);
  if (key || !entry) return key;
  return problem.at === 'parent' ? (entry.key ?? entry.value) : entryPos(entry);
}

export function validateSpecFile(file: string, data: unknown, nodes: NodeIndex): SpecError[] {
  if (validator(data)) return [];
  return schemaProblems(validator.errors ?? [], SpecFile as unknown as Record<string, unknown>, data).map((problem) => {
    const pos = locate(problem, nodes) ?? { file, line: 1, col: 1 };
    return specError(pos, specPath(problem.segments), problem.message);
  });
}
