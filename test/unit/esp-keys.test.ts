// Key files of encrypted overlays: how they read, how SA keys come from them, and that apply only
// ever installs the key the plan named.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeys } from '../../src/apply/esp-keys.js';
import { keyDigest, parseKeyFile, saKey, saSpi } from '../../src/net/esp.js';
import { readKeyFiles } from '../../src/spec/keyfile.js';
import type { Spec } from '../../src/spec/types.js';

const K1 = 'ab'.repeat(32);
const K2 = 'cd'.repeat(40);

describe('key files', () => {
  it('reads one hex key a line, skipping blank lines and comments, 0x or not', () => {
    expect(parseKeyFile(`# rotated 2025-01\n0x${K1.toUpperCase()}\n\n${K2}\n`)).toEqual({ keys: [{ hex: K1, line: 2 }, { hex: K2, line: 4 }] });
  });

  it('names the line of a key too short or not hex, and an empty file, never the content', () => {
    expect(parseKeyFile(`${K1}\n${'ab'.repeat(31)}\n`)).toEqual({ problem: 'line 2 is not a hex key of 32 bytes or more' });
    expect(parseKeyFile(`${K1}1\n`)).toEqual({ problem: 'line 1 is not a hex key of 32 bytes or more' });
    expect(parseKeyFile('# nothing yet\n')).toEqual({ problem: 'holds no key' });
  });

  it('reads the file a spec names, relative to the YAML that names it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wirestate-keys-'));
    await writeFile(join(dir, 'sec.key'), `${K1}\n`);
    const spec = {
      networks: { sec: { driver: 'overlay', subnet: '10.42.0.0/24', encrypted: true, keyFile: 'sec.key' }, gone: { driver: 'overlay', subnet: '10.43.0.0/24', encrypted: true, keyFile: 'none.key' } },
      endpoints: {},
      hosts: {},
      settings: {},
      sources: { 'networks.sec.keyFile': { file: join(dir, 'spec.yaml'), line: 1, col: 1 }, 'networks.gone.keyFile': { file: join(dir, 'spec.yaml'), line: 2, col: 1 } },
    } as Spec;
    expect(await readKeyFiles(spec)).toEqual({
      sec: { file: join(dir, 'sec.key'), keys: [{ hex: K1, line: 1 }] },
      gone: { file: join(dir, 'none.key'), problem: `cannot read ${join(dir, 'none.key')}: no such file` },
    });
  });
});

describe('SA keys', () => {
  it('gives every SA a key of its own: rfc4106 takes 32 key bytes and a 4-byte salt', () => {
    const ab = saKey(K1, 'sec 192.0.2.11>192.0.2.12');
    expect(ab).toMatch(/^[0-9a-f]{72}$/);
    expect(saKey(K1, 'sec 192.0.2.11>192.0.2.12')).toBe(ab);
    expect(saKey(K1, 'sec 192.0.2.12>192.0.2.11')).not.toBe(ab);
    expect(saKey(K2, 'sec 192.0.2.11>192.0.2.12')).not.toBe(ab);
  });

  it('derives SPIs above the reserved range', () => {
    for (let i = 0; i < 200; i++) expect(saSpi(`n${i}`, keyDigest(K1))).toBeGreaterThanOrEqual(0x100);
  });
});

describe('apply reads the key again', () => {
  it('installs the planned key, and refuses one the key file no longer holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wirestate-keys-'));
    const file = join(dir, 'sec.key');
    await writeFile(file, `${K1}\n`);
    const info = 'sec 192.0.2.11>192.0.2.12';
    const key = saKey(K1, info);
    const state = { src: '192.0.2.11', dst: '192.0.2.12', spi: 1000, reqid: 1, algorithm: 'rfc4106(gcm(aes))', icvBits: 128, keyDigest: keyDigest(key), keySource: { file, line: 1, info } };
    expect((await loadKeys([state]))(state)).toBe(key);
    await writeFile(file, `${K2}\n`);
    const lookup = await loadKeys([state]);
    expect(() => lookup(state)).toThrow(`${file} changed since the plan was made (line 1 no longer holds the planned key); run again`);
  });
});
