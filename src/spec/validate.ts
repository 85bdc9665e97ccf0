// Checks one file's data against the SpecFile JSON Schema and positions each problem in the YAML.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsMod from 'ajv-formats';
import SpecFile from '../../schemas/wirestate.schema.json' with { type: 'json' };
import { isCidr4 } from '../net/ipv4.js';
import { specError, type SpecError } from './errors.js';
import { entryPos, type NodeIndex } from './nodes.js';
import { nearest, specPath } from './path.js';
import { schemaProblems, type SchemaProblem } from './schema-errors.js';
import type { SourcePos } from './types.js';

// ajv-formats ships CommonJS; under NodeNext its default import is the module object's type.
const addFormats = addFormatsMod as unknown as typeof addFormatsMod.default;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    // The schema is generated from TypeBox and checked by a unit test; validating it against the
    // meta-schema on every start would cost ~100 ms of each command.
    const ajv = new Ajv2020({ allErrors: true, strict: true, validateSchema: false });
    addFormats(ajv);
    // Host bits are allowed here and reported by the semantic checks, which can suggest the fix.
    ajv.addFormat('cidr4', isCidr4);
    compiled = ajv.compile(SpecFile);
  }
  return compiled;
}

function locate(problem: SchemaProblem, nodes: NodeIndex): SourcePos | undefined {
  const { segments } = problem;
  const key = problem.at === 'key' ? nodes.get(specPath([...segments, problem.key!]))?.key : undefined;
  const entry = nearest((path) => nodes.get(path), segments);
  if (key || !entry) return key;
  return problem.at === 'parent' ? (entry.key ?? entry.value) : entryPos(entry);
}

export function validateSpecFile(file: string, data: unknown, nodes: NodeIndex): SpecError[] {
  const validate = validator();
  if (validate(data)) return [];
  return schemaProblems(validate.errors ?? [], SpecFile as unknown as Record<string, unknown>, data).map((problem) => {
    const pos = locate(problem, nodes) ?? { file, line: 1, col: 1 };
    return specError(pos, specPath(problem.segments), problem.message);
  });
}
