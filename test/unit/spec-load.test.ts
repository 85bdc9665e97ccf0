import { mkdtemp, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ParseCache, formatSpecError, loadSpec, sourceOf } from '../../src/spec/index.js';
import { errorsOf, load, messagesOf, writeSpecDir } from '../fixtures/spec/load-helper.js';

const FIXTURES = path.resolve('test/fixtures/spec');

describe('loadSpec: files', () => {
  it('loads a realistic directory, skipping dotfiles, dot-directories and editor leftovers', async () => {
    const result = await loadSpec(path.join(FIXTURES, 'valid'));
    const rel = result.files.map((f) => path.relative(path.join(FIXTURES, 'valid'), f));
    expect(rel).toEqual(['endpoints.yaml', 'networks/backend.yml', 'networks/frontend.yaml', 'settings.yaml']);
    if (!result.ok) throw new Error(result.errors.map(formatSpecError).join('\n'));
    const { spec } = result;
    expect(Object.keys(spec.networks).sort()).toEqual(['backend', 'frontend', 'metrics']);
    expect(spec.networks.metrics).toEqual({});
    expect(spec.networks.frontend!.options).toEqual({ 'com.docker.network.bridge.enable_icc': 'true', 'com.example.team': 'web' });
    expect(spec.endpoints.web!.networks).toEqual({
      frontend: { ipv4: '10.10.0.10', mac: '02:42:0a:0a:00:0a', aliases: ['www'] },
      backend: {},
    });
    expect(spec.endpoints.db!.networks).toEqual({ backend: {}, metrics: {} });
    expect(spec.endpoints.cache).toEqual({ networks: { bridge: {} } });
    expect(spec.settings.defaultAddressPools).toEqual([{ base: '172.18.0.0/15', size: 16 }]);
    expect(spec.hosts).toEqual({});
  });

  it('records where everything was declared', async () => {
    const result = await loadSpec(path.join(FIXTURES, 'valid'));
    if (!result.ok) throw new Error('invalid');
    const { sources } = result.spec;
    const at = (key: string) => {
      const s = sources[key]!;
      return `${path.relative(FIXTURES, s.file)}:${s.line}:${s.col}`;
    };
    expect(at('networks.frontend')).toBe('valid/networks/frontend.yaml:3:3');
    expect(at('networks.frontend.subnet')).toBe('valid/networks/frontend.yaml:5:13');
    expect(at('networks.metrics')).toBe('valid/networks/backend.yml:4:3');
    expect(at('endpoints.web.networks.frontend')).toBe('valid/endpoints.yaml:5:7');
    expect(at('endpoints.web.networks.frontend.ipv4')).toBe('valid/endpoints.yaml:6:15');
    expect(at('endpoints.db.networks.metrics')).toBe('valid/endpoints.yaml:26:25');
    expect(at('endpoints.web.ports[4].published')).toBe('valid/endpoints.yaml:15:34');
    expect(at('networks.frontend.options["com.docker.network.bridge.enable_icc"]')).toBe('valid/networks/frontend.yaml:15:45');
    // Filled in by normalisation: no position of its own, so its endpoint's.
    expect(sources['endpoints.cache.networks.bridge']).toBeUndefined();
    const implicit = sourceOf(result.spec, ['endpoints', 'cache', 'networks', 'bridge'])!;
    expect(implicit.line).toBe(29);
  });

  it('takes a single file', async () => {
    const file = path.join(FIXTURES, 'valid/settings.yaml');
    const result = await loadSpec(file);
    expect(result.ok).toBe(true);
    expect(result.files).toEqual([file]);
  });

  it('treats an empty directory as an empty spec', async () => {
    const dir = await writeSpecDir({});
    const result = await loadSpec(dir);
    expect(result).toEqual({ ok: true, files: [], spec: { networks: {}, endpoints: {}, hosts: {}, settings: {}, sources: {} } });
  });

  it('treats empty and comment-only files as empty', async () => {
    const { result } = await load({ 'a.yaml': '', 'b.yaml': '# nothing yet\n', 'c.yaml': 'networks:\nendpoints:\n' });
    expect(result.ok).toBe(true);
  });

  it('reports a missing directory', async () => {
    const dir = path.join(await writeSpecDir({}), 'nope');
    const result = await loadSpec(dir);
    expect(result.ok).toBe(false);
    expect(messagesOf(result, '/')).toEqual([`${dir}: no such file or directory`]);
  });

  it('follows symlinked files and directories, once', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wirestate-spec-'));
    const data = path.join(dir, '..data');
    await mkdir(data);
    await writeFile(path.join(data, 'net.yaml'), 'networks:\n  a: {}\n');
    await symlink(path.join(data, 'net.yaml'), path.join(dir, 'net.yaml'));
    await symlink(dir, path.join(dir, 'loop'));
    const result = await loadSpec(dir);
    expect(result.files).toEqual([path.join(dir, 'net.yaml')]);
    expect(result.ok && Object.keys(result.spec.networks)).toEqual(['a']);
  });

  it('prints files relative to the working directory when inside it', async () => {
    const result = await loadSpec('test/fixtures/spec/invalid');
    expect(result.ok || result.errors.map(formatSpecError)).toEqual([
      'test/fixtures/spec/invalid/app.yaml:3:13: networks.frontend.subnet: "10.10.0.0/33" is not an IPv4 CIDR',
    ]);
  });
});

describe('loadSpec: YAML', () => {
  it('reports syntax errors with their position', async () => {
    expect(await errorsOf('networks:\n  a: [1\nendpoints: {}\n')).toEqual([
      'a.yaml:3:1: flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('reports duplicate keys at the second one', async () => {
    expect(await errorsOf('networks:\n  a: {}\n  b:\n    mtu: 1400\n    mtu: 1500\n  a: {}\n')).toEqual([
      'a.yaml:5:5: networks.b.mtu: duplicate key "mtu" (first set on line 4)',
      'a.yaml:6:3: networks.a: duplicate key "a" (first set on line 2)',
    ]);
  });

  it('refuses __proto__ as a name, which would vanish into the prototype', async () => {
    expect(await errorsOf('networks:\n  __proto__: {subnet: 10.0.0.0/24}\n')).toEqual([
      'a.yaml:2:3: networks.__proto__: "__proto__" cannot be used as a key',
    ]);
  });

  it('keeps values plain data: YAML 1.1 tags like !!binary are not decoded', async () => {
    expect(await errorsOf('networks:\n  a: !!binary AAAA\n')).toEqual(['a.yaml:2:15: networks.a: must be a map']);
  });

  it('wants one document per file', async () => {
    expect(await errorsOf('networks: {}\n---\nendpoints: {}\n')).toEqual([
      'a.yaml:2:1: a file holds one YAML document; move what follows "---" to a file of its own',
    ]);
  });
});

describe('loadSpec: schema', () => {
  it('reports every error of a file, each at its value', async () => {
    expect(
      await errorsOf(`networks:
  frontend:
    subnet: 10.10.0.0/33
    gateway: 300.1.1.1
    mtu: 70000
    driver: foo
    icc: "yes"
    vni: 1.5
`),
    ).toEqual([
      'a.yaml:3:13: networks.frontend.subnet: "10.10.0.0/33" is not an IPv4 CIDR',
      'a.yaml:4:14: networks.frontend.gateway: "300.1.1.1" is not an IPv4 address',
      'a.yaml:5:10: networks.frontend.mtu: must be at most 65535',
      'a.yaml:6:13: networks.frontend.driver: must be one of bridge, overlay, macvlan, cni',
      'a.yaml:7:10: networks.frontend.icc: must be true or false',
      'a.yaml:8:10: networks.frontend.vni: must be an integer',
    ]);
  });

  it('points unknown keys at the key, and guesses what was meant', async () => {
    expect(await errorsOf('networks:\n  a:\n    extra: 1\n    subnets: 10.0.0.0/24\nnetwork: {}\n')).toEqual([
      'a.yaml:3:5: networks.a: unknown key "extra"',
      'a.yaml:4:5: networks.a: unknown key "subnets"; did you mean "subnet"?',
      'a.yaml:5:1: unknown key "network"; did you mean "networks"?',
    ]);
  });

  it('points a missing key at its map, and an empty value at its key', async () => {
    expect(await errorsOf('hosts:\n  a: {}\n  b:\nnetworks:\n  n:\n    subnet:\n')).toEqual([
      'a.yaml:2:3: hosts.a: missing required key "address"',
      'a.yaml:3:3: hosts.b: is empty; expected a map',
      'a.yaml:6:5: networks.n.subnet: is empty; expected a string',
    ]);
  });

  it('accepts endpoint networks as a list or a map, and says so once otherwise', async () => {
    const ok = await load({
      'a.yaml': 'networks: {x: {}, y: {}}\nendpoints:\n  a: {networks: [x, y]}\n  b: {networks: {x: null, y: }}\n',
    });
    expect(ok.messages).toEqual([]);
    expect(await errorsOf('endpoints:\n  a:\n    networks: frontend\n')).toEqual([
      'a.yaml:3:15: endpoints.a.networks: must be a list or a map',
    ]);
  });

  it('reports the union branch the value was meant for', async () => {
    expect(
      await errorsOf(`endpoints:
  web:
    networks: {x: {mac: "02:42"}}
    ports: [true, {target: 0}, {published: 1}, 70000, {target: 80, published: "a"}]
    netns: ""
`),
    ).toEqual([
      'a.yaml:3:25: endpoints.web.networks.x.mac: "02:42" is not a MAC address',
      'a.yaml:4:13: endpoints.web.ports[0]: must be a string, an integer or a map',
      'a.yaml:4:28: endpoints.web.ports[1].target: must be at least 1',
      'a.yaml:4:32: endpoints.web.ports[2]: missing required key "target"',
      'a.yaml:4:48: endpoints.web.ports[3]: must be at most 65535',
      'a.yaml:4:79: endpoints.web.ports[4].published: "a" is not a port or a port range',
      'a.yaml:5:12: endpoints.web.netns: must not be empty',
    ]);
  });

  it('reports wrong shapes in plain words', async () => {
    expect(await errorsOf('networks: [a]\nendpoints:\n  e: 7\nsettings:\n  defaultAddressPools: []\n  defaultBridge: {name: "-x"}\n')).toEqual([
      'a.yaml:1:1: networks: must be a map',
      'a.yaml:3:6: endpoints.e: must be a map',
      'a.yaml:5:3: settings.defaultAddressPools: must not be empty',
      'a.yaml:6:25: settings.defaultBridge.name: "-x" is not a valid interface name (letters, digits, "_", "." and "-", starting with a letter or digit)',
    ]);
    expect(await errorsOf('- a\n')).toEqual(['a.yaml:1:1: must be a map']);
  });

  it('reports the errors of all files together, sorted', async () => {
    const { messages } = await load({
      'b.yaml': 'networks:\n  x: {mtu: 1}\n',
      'a.yaml': 'hosts:\n  h: {address: 1.2.3}\n',
      'sub/c.yaml': 'bogus: true\n',
    });
    expect(messages).toEqual([
      'a.yaml:2:16: hosts.h.address: "1.2.3" is not an IPv4 address',
      'b.yaml:2:12: networks.x.mtu: must be at least 68',
      `sub${path.sep}c.yaml:1:1: unknown key "bogus"`,
    ]);
  });

  it('checks meaning only once every file is well-formed', async () => {
    const { messages } = await load({
      'a.yaml': 'networks:\n  x: {mtu: 1}\n',
      'b.yaml': 'endpoints:\n  e: {networks: [nowhere]}\n',
    });
    expect(messages).toEqual(['a.yaml:2:12: networks.x.mtu: must be at least 68']);
  });
});

describe('loadSpec: merging', () => {
  it('merges networks, endpoints, hosts and settings from several files', async () => {
    const { result } = await load({
      'a.yaml': 'networks:\n  front: {}\nhosts:\n  h1: {address: 192.0.2.1}\n',
      'b/b.yaml': 'networks:\n  back: {}\nendpoints:\n  web: {networks: [front, back], host: h2}\nhosts:\n  h2: {address: 192.0.2.2}\n',
      'c.yml': 'settings:\n  iptables: false\n',
    });
    if (!result.ok) throw new Error(messagesOf(result, '').join('\n'));
    expect(Object.keys(result.spec.networks)).toEqual(['front', 'back']);
    expect(result.spec.endpoints.web!.networks).toEqual({ front: {}, back: {} });
    expect(Object.keys(result.spec.hosts)).toEqual(['h1', 'h2']);
    expect(result.spec.settings).toEqual({ iptables: false });
  });

  it('names both files when something is declared twice', async () => {
    const { messages } = await load({
      'a.yaml': 'networks:\n  frontend: {}\nendpoints:\n  web: {}\nhosts:\n  h: {address: 192.0.2.1}\nsettings:\n  iptables: true\n',
      'b.yaml': 'hosts:\n  h: {address: 192.0.2.2}\nnetworks:\n  other: {}\n  frontend:\n    subnet: 10.0.0.0/24\nendpoints:\n  web: {}\nsettings:\n  iptables: false\n',
    });
    expect(messages).toEqual([
      'b.yaml:2:3: hosts.h: declared twice, in a.yaml:6:3 and b.yaml:2:3',
      'b.yaml:5:3: networks.frontend: declared twice, in a.yaml:2:3 and b.yaml:5:3',
      'b.yaml:8:3: endpoints.web: declared twice, in a.yaml:4:3 and b.yaml:8:3',
      'b.yaml:9:1: settings: declared twice, in a.yaml:7:1 and b.yaml:9:1',
    ]);
  });

  it('lets an empty settings map sit beside the real one', async () => {
    const { messages } = await load({ 'a.yaml': 'settings: {}\n', 'b.yaml': 'settings:\n  iptables: false\n' });
    expect(messages).toEqual([]);
  });

  it('rejects a network listed twice by one endpoint', async () => {
    expect(await errorsOf('networks: {x: {}}\nendpoints:\n  e:\n    networks: [x, x]\n')).toEqual([
      'a.yaml:4:19: endpoints.e.networks[1]: network "x" is listed twice',
    ]);
  });

  it('joins endpoints without networks to the default bridge', async () => {
    const { result } = await load({ 'a.yaml': 'endpoints:\n  a:\n  b: {}\n  c: {networks: []}\n  d: {networks: {}}\n  e: {hostname: e}\n' });
    if (!result.ok) throw new Error('invalid');
    for (const ep of Object.values(result.spec.endpoints)) expect(ep.networks).toEqual({ bridge: {} });
    expect(result.spec.endpoints.e).toEqual({ hostname: 'e', networks: { bridge: {} } });
  });
});

describe('loadSpec: parse cache', () => {
  it('parses again only the files whose text changed, and forgets files that are gone', async () => {
    const dir = await writeSpecDir({ 'a.yaml': 'networks:\n  n: { subnet: 10.1.0.0/24 }\n', 'b.yaml': 'endpoints:\n  e: { networks: [n] }\n' });
    const a = path.join(dir, 'a.yaml');
    const b = path.join(dir, 'b.yaml');
    const cache: ParseCache = new Map();
    const first = await loadSpec(dir, cache);
    expect(first.ok).toBe(true);
    const parsedB = cache.get(b)?.parsed;
    await writeFile(a, 'networks:\n  n: { subnet: 10.2.0.0/24 }\n');
    const second = await loadSpec(dir, cache);
    if (!second.ok) throw new Error('invalid');
    expect(second.spec.networks.n?.subnet).toBe('10.2.0.0/24');
    expect(cache.get(b)?.parsed).toBe(parsedB);
    await rm(b);
    const third = await loadSpec(dir, cache);
    expect(third.ok && Object.keys(third.spec.endpoints)).toEqual([]);
    expect([...cache.keys()]).toEqual([a]);
  });

  it('keeps reporting the errors of a cached file that is still wrong', async () => {
    const dir = await writeSpecDir({ 'a.yaml': 'networks:\n  n: { subnet: nope }\n' });
    const cache: ParseCache = new Map();
    const messages = async () => {
      const r = await loadSpec(dir, cache);
      return r.ok ? [] : r.errors.map(formatSpecError);
    };
    const once = await messages();
    expect(once).toHaveLength(1);
    expect(await messages()).toEqual(once);
  });
});
