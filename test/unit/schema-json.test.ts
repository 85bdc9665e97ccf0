import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { schemaJson, validatorSource } from '../../schemas/emit.js';

const text = readFileSync(new URL('../../schemas/wirestate.schema.json', import.meta.url), 'utf8');
const validator = readFileSync(new URL('../../schemas/spec-file-validator.ts', import.meta.url), 'utf8');

describe('schemas/wirestate.schema.json', () => {
  it('is exactly what the TypeBox source emits (run `npm run schema` after editing schemas/spec.ts)', () => {
    expect(text).toBe(schemaJson());
  });

  it('is a valid JSON Schema 2020-12 document (the program skips this check at run time to start faster)', () => {
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema(JSON.parse(text))).toBe(true);
    expect(ajv.errors).toBeNull();
  });

  it('has its generated validator up to date (run `npm run schema`)', () => {
    expect(validator).toBe(validatorSource());
  });
});
