// The key files of encrypted overlays, read on every pass so that editing one rotates the keys.
// The spec names the file, never a key; a relative name is relative to the YAML file that wrote it.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseKeyFile } from '../net/esp.js';
import { sourceOf } from './sources.js';
import type { Spec } from './types.js';

export interface KeyRing {
  file: string;
  /** In file order: the first sends, all are accepted. */
  keys: { hex: string; line: number }[];
}

export type KeyFile = KeyRing | { file: string; problem: string };

/** Network → the absolute path of its key file. Only encrypted overlays with a keyFile have one read. */
export function keyFilePaths(spec: Spec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, net] of Object.entries(spec.networks)) {
    if (net.driver !== 'overlay' || !net.encrypted || !net.keyFile) continue;
    const declaredIn = sourceOf(spec, ['networks', name, 'keyFile'])?.file;
    out[name] = declaredIn ? resolve(dirname(declaredIn), net.keyFile) : resolve(net.keyFile);
  }
  return out;
}

/** Network → its key file as read now. */
export async function readKeyFiles(spec: Spec): Promise<Record<string, KeyFile>> {
  const out: Record<string, KeyFile> = {};
  for (const [name, file] of Object.entries(keyFilePaths(spec))) {
    try {
      const parsed = parseKeyFile(await readFile(file, 'utf8'));
      out[name] = 'problem' in parsed ? { file, problem: `${file} ${parsed.problem}` } : { file, keys: parsed.keys };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      out[name] = { file, problem: `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}` };
    }
  }
  return out;
}
