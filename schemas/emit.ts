// Writes schemas/wirestate.schema.json from the TypeBox source (npm run schema). The JSON file is
// what the program loads at run time (TypeBox costs ~300 ms to import) and what editors can use;
// a unit test keeps it identical to the source.
import { writeFileSync } from 'node:fs';
import { SpecFile } from './spec.js';

export const schemaJson = (): string => `${JSON.stringify(SpecFile, null, 2)}\n`;

if (process.argv[1]?.endsWith('emit.js')) {
  writeFileSync(new URL('../../schemas/wirestate.schema.json', import.meta.url), schemaJson());
}
