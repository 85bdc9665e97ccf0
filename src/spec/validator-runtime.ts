// What the validator generated from the JSON Schema (schemas/spec-file-validator.ts) calls: the
// string formats the schema uses, and string length as JSON Schema counts it.
import { isCidr4, isIpv4 } from '../net/ipv4.js';

/** Host bits in a CIDR are allowed here and reported by the semantic checks, which can suggest the fix. */
export const formats = { ipv4: isIpv4, cidr4: isCidr4 };

/** Length in code points, not UTF-16 units (ajv's runtime ucs2length, which is CommonJS and loads differently under Node and vitest). */
export const ucs2length = (s: string): number => [...s].length;
