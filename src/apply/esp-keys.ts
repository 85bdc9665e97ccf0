// The key material of the IPsec states a plan creates, derived again from the key files at apply
// time: the plan itself holds only digests. A key file edited since the plan was made no longer
// yields the planned digest, and that state fails instead of getting a key nobody planned.
import { readFile } from 'node:fs/promises';
import type { XfrmState } from '../model/state.js';
import { keyDigest, parseKeyFile, saKey } from '../net/esp.js';

export type KeyLookup = (s: XfrmState) => string;

/** Reads each key file once; the lookup throws (with a message that shows no key) when a state's key cannot be had. */
export async function loadKeys(states: XfrmState[]): Promise<KeyLookup> {
  const files = new Map<string, Awaited<ReturnType<typeof read>>>();
  for (const s of states) if (s.keySource && !files.has(s.keySource.file)) files.set(s.keySource.file, await read(s.keySource.file));
  return (s) => {
    if (!s.keySource) throw new Error('the plan does not say where this key comes from');
    const { file, line, info } = s.keySource;
    const parsed = files.get(file);
    if (!parsed || 'problem' in parsed) throw new Error(`${file}: ${parsed?.problem ?? 'not read'}`);
    const fileKey = parsed.keys.find((k) => k.line === line);
    const key = fileKey ? saKey(fileKey.hex, info) : undefined;
    if (!key || keyDigest(key) !== s.keyDigest) throw new Error(`${file} changed since the plan was made (line ${line} no longer holds the planned key); run again`);
    return key;
  };
}

async function read(file: string): Promise<ReturnType<typeof parseKeyFile>> {
  try {
    return parseKeyFile(await readFile(file, 'utf8'));
  } catch (e) {
    return { problem: `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}
