// Key files as controller triggers: which files a spec names, and the watcher that follows exactly
// those — edits, replacement by rename, removal and creation, a Kubernetes volume's atomic swap,
// folders that cannot be watched, and a new set of files replacing the old.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyFilePaths } from '../../src/spec/keyfile.js';
import type { Spec } from '../../src/spec/types.js';
import { changedBy, foldersOf, type KeyFileWatcher, watchKeyFiles } from '../../src/watch/key-files.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the files a spec names', () => {
  it('are the key files of its encrypted overlays, relative to the YAML that names each', () => {
    const spec = {
      networks: {
        sec: { driver: 'overlay', subnet: '10.42.0.0/24', encrypted: true, keyFile: '../keys/sec.key' },
        abs: { driver: 'overlay', subnet: '10.43.0.0/24', encrypted: true, keyFile: '/etc/wirestate/abs.key' },
        plain: { driver: 'overlay', subnet: '10.44.0.0/24', keyFile: 'plain.key' },
        lan: { subnet: '10.45.0.0/24' },
      },
      endpoints: {},
      hosts: {},
      settings: {},
      sources: {
        'networks.sec.keyFile': { file: '/srv/spec/nets/overlay.yaml', line: 1, col: 1 },
        'networks.abs.keyFile': { file: '/srv/spec/other.yaml', line: 1, col: 1 },
        'networks.plain.keyFile': { file: '/srv/spec/other.yaml', line: 2, col: 1 },
      },
    } as Spec;
    expect(keyFilePaths(spec)).toEqual({ sec: '/srv/spec/keys/sec.key', abs: '/etc/wirestate/abs.key' });
  });

  it('are watched through their folders, by name', () => {
    expect(foldersOf(['/k/a.key', '/k/b.key', '/etc/c.key'])).toEqual(
      new Map([
        ['/k', new Set(['a.key', 'b.key'])],
        ['/etc', new Set(['c.key'])],
      ]),
    );
    const names = new Set(['a.key', 'b.key']);
    expect(changedBy(names, 'a.key')).toEqual(['a.key']);
    expect(changedBy(names, 'a.key.swp')).toEqual([]);
    expect(changedBy(names, '..data')).toEqual(['a.key', 'b.key']);
    expect(changedBy(names, null)).toEqual(['a.key', 'b.key']);
  });
});

describe('watching key files', () => {
  let dir: string;
  let watcher: KeyFileWatcher;
  let events: string[];
  let errors: string[];
  const at = (...p: string[]) => join(dir, ...p);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wirestate-keys-'));
    mkdirSync(at('a'));
    mkdirSync(at('b'));
    events = [];
    errors = [];
    watcher = watchKeyFiles(
      (file) => events.push(file.slice(dir.length + 1)),
      (folder, e) => errors.push(`${folder.slice(dir.length + 1)}: ${(e as NodeJS.ErrnoException).code}`),
    );
  });
  afterEach(() => {
    watcher.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Waits (bounded) for `count` events, then past the settle time for any extra. */
  async function settled(count: number): Promise<void> {
    for (let i = 0; i < 40 && events.length < count; i++) await sleep(50);
    await sleep(250);
  }

  it('reports an edit, a replacement by rename, a removal and a re-creation, once each, and no other file', async () => {
    writeFileSync(at('a', 'sec.key'), 'k1\n');
    watcher.follow([at('a', 'sec.key')]);
    writeFileSync(at('a', 'sec.key'), 'k2\n');
    await settled(1);
    writeFileSync(at('a', '.sec.key.tmp'), 'k3\n');
    renameSync(at('a', '.sec.key.tmp'), at('a', 'sec.key'));
    await settled(2);
    unlinkSync(at('a', 'sec.key'));
    await settled(3);
    writeFileSync(at('a', 'sec.key'), 'k4\n');
    await settled(4);
    writeFileSync(at('a', 'other.key'), 'x\n');
    await settled(4);
    expect(events).toEqual(['a/sec.key', 'a/sec.key', 'a/sec.key', 'a/sec.key']);
    expect(errors).toEqual([]);
  });

  it('reports a burst of writes once', async () => {
    watcher.follow([at('a', 'sec.key')]);
    for (let i = 0; i < 10; i++) {
      writeFileSync(at('a', 'sec.key'), `k${i}\n`);
      await sleep(10);
    }
    await settled(1);
    expect(events).toEqual(['a/sec.key']);
  });

  it('follows a new set of files: the dropped ones are not reported any more', async () => {
    watcher.follow([at('a', 'sec.key'), at('a', 'old.key')]);
    watcher.follow([at('a', 'sec.key'), at('b', 'new.key')]);
    writeFileSync(at('a', 'old.key'), 'x\n');
    writeFileSync(at('b', 'new.key'), 'x\n');
    writeFileSync(at('a', 'sec.key'), 'x\n');
    await settled(2);
    expect(events.sort()).toEqual(['a/sec.key', 'b/new.key']);
    watcher.follow([]);
    writeFileSync(at('a', 'sec.key'), 'y\n');
    writeFileSync(at('b', 'new.key'), 'y\n');
    await settled(1);
    expect(events).toHaveLength(2);
  });

  it("reports every file of a folder whose Kubernetes volume swapped its '..data' link", async () => {
    // The layout kubelet writes: sec.key → ..data/sec.key, ..data → a timestamped folder.
    mkdirSync(at('a', '..v1'));
    writeFileSync(at('a', '..v1', 'sec.key'), 'k1\n');
    symlinkSync('..v1', at('a', '..data'));
    symlinkSync('..data/sec.key', at('a', 'sec.key'));
    watcher.follow([at('a', 'sec.key')]);
    mkdirSync(at('a', '..v2'));
    writeFileSync(at('a', '..v2', 'sec.key'), 'k2\n');
    symlinkSync('..v2', at('a', '..data_tmp'));
    renameSync(at('a', '..data_tmp'), at('a', '..data'));
    await settled(1);
    expect(events).toEqual(['a/sec.key']);
  });

  it('reports a folder that cannot be watched once, and watches it once it exists', async () => {
    watcher.follow([at('c', 'sec.key')]);
    watcher.follow([at('c', 'sec.key')]);
    expect(errors).toEqual(['c: ENOENT']);
    mkdirSync(at('c'));
    watcher.follow([at('c', 'sec.key')]);
    writeFileSync(at('c', 'sec.key'), 'k\n');
    await settled(1);
    expect(events).toEqual(['c/sec.key']);
    expect(errors).toEqual(['c: ENOENT']);
  });
});
