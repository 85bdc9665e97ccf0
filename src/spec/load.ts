// Directory → validated, merged, normalised Spec, or every error found, positioned.
import { readFile } from 'node:fs/promises';
import { ioError, sortErrors, type SpecError } from './errors.js';
import { listSpecFiles } from './files.js';
import { mergeFiles } from './merge.js';
import { parseSpecFile, type ParsedFile } from './parse.js';
import { checkSpec } from './semantic.js';
import type { Spec } from './types.js';

export type LoadResult = { ok: true; spec: Spec; files: string[] } | { ok: false; errors: SpecError[]; files: string[] };

async function readSpecFile(file: string): Promise<ParsedFile> {
  try {
    return parseSpecFile(file, await readFile(file, 'utf8'));
  } catch (err) {
    return { file, data: {}, nodes: new Map(), errors: [ioError(file, err)] };
  }
}

/**
 * Syntax and schema errors of all files are reported together; only when there are none are the
 * files merged and checked for meaning, since those checks need well-typed data.
 */
export async function loadSpec(dir: string): Promise<LoadResult> {
  const listed = await listSpecFiles(dir);
  if ('error' in listed) return { ok: false, errors: [listed.error], files: [] };
  const { files } = listed;
  const parsed = await Promise.all(files.map(readSpecFile));
  const fileErrors = parsed.flatMap((p) => p.errors);
  if (fileErrors.length > 0) return { ok: false, errors: sortErrors(fileErrors), files };
  const { spec, errors: mergeErrors } = mergeFiles(parsed);
  const errors = [...mergeErrors, ...checkSpec(spec)];
  return errors.length > 0 ? { ok: false, errors: sortErrors(errors), files } : { ok: true, spec, files };
}
