// Spec errors and how they are printed: `file:line:col: path: message`, the one format users and tests see.
import path from 'node:path';
import type { SourcePos } from './types.js';

export interface SpecError {
  /** Absolute path of the file (or of the directory, for errors about the directory itself). */
  file: string;
  /** 1-based; 0 when the error is about the file as a whole (unreadable, missing). */
  line: number;
  col: number;
  /** Where in the document, as `specPath` prints it ("networks.frontend.subnet"); "" for the whole file. */
  path: string;
  message: string;
}

/** A file name as people want to read it: relative to the working directory when inside it, else absolute. */
export function displayFile(file: string): string {
  const rel = path.relative(process.cwd(), file);
  const outside = rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
  return outside ? file : rel || '.';
}

export function formatPos(pos: SourcePos): string {
  return pos.line > 0 ? `${displayFile(pos.file)}:${pos.line}:${pos.col}` : displayFile(pos.file);
}

export function formatSpecError(e: SpecError): string {
  return [formatPos(e), e.path, e.message].filter((part) => part !== '').join(': ');
}

export function comparePos(a: SourcePos, b: SourcePos): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col;
}

/** Sorted by file, line and column; an error found twice is reported once. */
export function sortErrors(errors: SpecError[]): SpecError[] {
  const sorted = [...errors].sort((a, b) => comparePos(a, b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const seen = new Set<string>();
  const unique: SpecError[] = [];
  for (const e of sorted) {
    const key = formatSpecError(e);
    if (!seen.has(key)) unique.push(e);
    seen.add(key);
  }
  return unique;
}

export function specError(pos: SourcePos, path: string, message: string): SpecError {
  return { file: pos.file, line: pos.line, col: pos.col, path, message };
}

/** An error about a whole file or directory that could not be read. */
export function ioError(file: string, err: unknown): SpecError {
  const { code, message } = err as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
  };
  return { file, line: 0, col: 0, path: '', message: (code && words[code]) ?? message };
}
