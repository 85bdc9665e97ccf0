import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaJson } from '../../schemas/emit.js';

describe('schemas/wirestate.schema.json', () => {
  it('is exactly what the TypeBox source emits (run `npm run schema` after editing schemas/spec.ts)', () => {
    expect(readFileSync(new URL('../../schemas/wirestate.schema.json', import.meta.url), 'utf8')).toBe(schemaJson());
  });
});
