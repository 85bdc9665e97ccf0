// Spec file events: what counts as a spec change, editors' files ignored, and a burst of saves
// ending with the last content readable when the event arrives.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSpecPath, type SpecWatcher, watchSpec } from '../../src/watch/files.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('which paths are the spec', () => {
  it('is every *.yaml / *.yml and every directory below the root, without dot-names', () => {
    const root = '/etc/ws';
    const cases: [string, boolean, boolean][] = [
      ['/etc/ws', true, true],
      ['/etc/ws/a.yaml', false, true],
      ['/etc/ws/sub/b.yml', false, true],
      ['/etc/ws/sub', true, true],
      ['/etc/ws/.git', true, false],
      ['/etc/ws/.a.yaml.swp', false, false],
      ['/etc/ws/.#a.yaml', false, false],
      ['/etc/ws/#a.yaml#', false, false],
      ['/etc/ws/a.yaml~', false, false],
      ['/etc/ws/4913', false, false],
      ['/etc/ws/a.yaml.tmp', false, false],
      ['/etc/ws/..data/a.yaml', false, false],
      ['/etc/ws/notes.txt', false, false],
    ];
    expect(cases.map(([p, dir]) => [p, isSpecPath(root, p, dir)])).toEqual(cases.map(([p, , want]) => [p, want]));
  });
});

describe('watching a spec directory', () => {
  let dir: string;
  let watcher: SpecWatcher | undefined;
  let events: { path: string; content: string | null }[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wirestate-watch-'));
    writeFileSync(join(dir, 'a.yaml'), 'networks: {}\n');
    events = [];
    watcher = await watchSpec(dir, (path) => {
      let content: string | null = null;
      try {
        content = readFileSync(path, 'utf8');
      } catch {
        /* removed */
      }
      events.push({ path: path.slice(dir.length + 1), content });
    }, (e) => {
      throw e;
    });
  });
  afterEach(async () => {
    await watcher?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function settled(count: number): Promise<void> {
    for (let i = 0; i < 60 && events.length < count; i++) await sleep(50);
    await sleep(300);
  }

  it('reports edits, new files in new folders, atomic saves and removals of spec files', async () => {
    writeFileSync(join(dir, 'a.yaml'), 'networks: { a: {} }\n');
    await settled(1);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'b.yml'), 'endpoints: {}\n');
    await settled(3);
    writeFileSync(join(dir, 'c.yaml.tmp'), 'networks: { c: {} }\n');
    renameSync(join(dir, 'c.yaml.tmp'), join(dir, 'c.yaml'));
    await settled(4);
    unlinkSync(join(dir, 'sub', 'b.yml'));
    await settled(5);
    expect(events).toEqual([
      { path: 'a.yaml', content: 'networks: { a: {} }\n' },
      { path: 'sub', content: null },
      { path: 'sub/b.yml', content: 'endpoints: {}\n' },
      { path: 'c.yaml', content: 'networks: { c: {} }\n' },
      { path: 'sub/b.yml', content: null },
    ]);
  });

  it("ignores editors' swap, backup and lock files", async () => {
    for (const f of ['.a.yaml.swp', 'a.yaml~', '.#a.yaml', '#a.yaml#', '4913', 'notes.txt']) writeFileSync(join(dir, f), 'x');
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD.yaml'), 'x');
    unlinkSync(join(dir, '4913'));
    // Well past chokidar's write-settling (100 ms) and unlink coalescing (100 ms) windows.
    await sleep(600);
    expect(events).toEqual([]);
    // The watcher was listening all along: a real edit is reported.
    writeFileSync(join(dir, 'a.yaml'), 'networks: { b: {} }\n');
    await settled(1);
    expect(events).toEqual([{ path: 'a.yaml', content: 'networks: { b: {} }\n' }]);
  });

  it('reports a burst of twenty quick saves with the last content in place', async () => {
    for (let i = 0; i < 20; i++) {
      writeFileSync(join(dir, 'a.yaml'), `networks: { n${i}: {} }\n`);
      await sleep(5);
    }
    await settled(1);
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)).toEqual({ path: 'a.yaml', content: 'networks: { n19: {} }\n' });
  });
});
