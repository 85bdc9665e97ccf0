// macvlan networks in a throwaway host whose link `lan0` leads to a namespace standing for the
// physical network: endpoints are on it directly, their mode is honoured (private: they cannot
// talk to each other), a network without a parent is internal, and a parent the host lacks is an error.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostNs, batch, deleteNamespaces, makeHostNs, mustRun, namespacesUnder, ping, requireRoot, runCli } from './helpers/index.js';

const kernel = requireRoot();

/** Whether this kernel has 802.1Q (CONFIG_VLAN_8021Q): probed in a namespace of its own. */
function vlanSupported(): boolean {
  if (!kernel) return false;
  const ns = `ws-t${process.pid}-vlan`;
  spawnSync('ip', ['netns', 'add', ns]);
  try {
    spawnSync('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    return spawnSync('ip', ['-n', ns, 'link', 'add', 'link', 'v0', 'name', 'v0.10', 'type', 'vlan', 'id', '10']).status === 0;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

const SPEC = `
networks:
  lan: { driver: macvlan, parent: lan0, subnet: 10.77.0.0/24 }
  priv: { driver: macvlan, parent: lan0, subnet: 10.79.0.0/24, mode: private }
  iso: { driver: macvlan, subnet: 10.78.0.0/24 }
endpoints:
  m1: { networks: { lan: { ipv4: 10.77.0.11 }, iso: {} } }
  m2: { networks: { lan: { ipv4: 10.77.0.12 } } }
  p1: { networks: { priv: { ipv4: 10.79.0.11 } } }
  p2: { networks: { priv: { ipv4: 10.79.0.12 } } }
  i1: { networks: [iso] }
settings: { defaultBridge: { enabled: false } }
`;

describe.skipIf(!kernel)('macvlan networks', () => {
  let host: HostNs;
  let lan: string;
  let dir: string;
  const ns = (e: string) => `${host.name}-${e}`;
  const cli = (cmd: string, ...extra: string[]) => runCli([cmd, ...(cmd === 'reconcile' ? ['--once'] : []), '--netns', host.name, '--state-dir', host.stateDir, ...extra, dir]);

  beforeAll(async () => {
    host = await makeHostNs('mv');
    // The physical network: lan0 on the host, its other end in <host>-lan holding the router's addresses.
    lan = `${host.name}-lan`;
    await deleteNamespaces(namespacesUnder(lan));
    await mustRun('ip', ['netns', 'add', lan]);
    await batch(lan, [`link add eth0 type veth peer name lan0 netns ${host.name}`, 'link set lo up', 'link set eth0 addrgenmode none', 'addr add 10.77.0.1/24 dev eth0', 'addr add 10.79.0.1/24 dev eth0', 'link set eth0 up']);
    await batch(host.name, ['link set lan0 addrgenmode none', 'link set lan0 up']);
    dir = host.writeSpec({ 'spec.yaml': SPEC });
  });
  afterAll(async () => {
    if (dir) await cli('down').catch(() => undefined);
    await host?.cleanup();
  });

  it('converges, and a second pass has nothing to do', async () => {
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    const p = await cli('plan', '-o', 'json');
    expect(JSON.parse(p.stdout)).toEqual({ changes: [] });
  });

  it('shows the macvlan networks Docker-style: parent, mode, subnet, gateway, endpoints, and internal without a parent', async () => {
    const network = (...args: string[]) => runCli(['network', ...args, '--netns', host.name, '--state-dir', host.stateDir]);
    const ls = await network('ls', '-o', 'json');
    expect(ls.code, ls.stderr).toBe(0);
    const rows = JSON.parse(ls.stdout) as { Name: string }[];
    expect(rows.filter((r) => ['iso', 'lan', 'priv'].includes(r.Name))).toEqual([
      expect.objectContaining({ Name: 'iso', Driver: 'macvlan', Scope: 'local', Internal: true, Subnet: '10.78.0.0/24' }),
      expect.objectContaining({ Name: 'lan', Driver: 'macvlan', Scope: 'local', Internal: false, Subnet: '10.77.0.0/24' }),
      expect.objectContaining({ Name: 'priv', Driver: 'macvlan', Scope: 'local', Internal: false, Subnet: '10.79.0.0/24' }),
    ]);
    expect((await network('ls')).stdout).toMatch(/^ *\S+ +lan +macvlan +local +10\.77\.0\.0\/24 *$/m);
    const inspect = await network('inspect', 'lan', 'priv', 'iso');
    expect(inspect.code, inspect.stderr).toBe(0);
    const [lanView, priv, iso] = JSON.parse(inspect.stdout);
    const mac = async (e: string) => JSON.parse((await mustRun('ip', ['-n', ns(e), '-j', 'link', 'show', 'eth0'])).stdout)[0].address as string;
    expect(lanView).toMatchObject({ Driver: 'macvlan', Internal: false, Options: { parent: 'lan0', macvlan_mode: 'bridge' }, IPAM: { Config: [{ Subnet: '10.77.0.0/24', Gateway: '10.77.0.1' }] } });
    expect(Object.values(lanView.Containers)).toEqual([
      expect.objectContaining({ Name: 'm1', IPv4Address: '10.77.0.11/24' }),
      expect.objectContaining({ Name: 'm2', MacAddress: await mac('m2'), IPv4Address: '10.77.0.12/24' }),
    ]);
    expect(priv).toMatchObject({ Options: { parent: 'lan0', macvlan_mode: 'private' }, IPAM: { Config: [{ Subnet: '10.79.0.0/24', Gateway: '10.79.0.1' }] } });
    expect(iso).toMatchObject({ Internal: true, Options: { macvlan_mode: 'bridge' }, IPAM: { Config: [{ Subnet: '10.78.0.0/24' }] } });
    expect(iso.Options.parent).toBeUndefined();
    expect(Object.values(iso.Containers).map((c) => (c as { Name: string }).Name)).toEqual(['i1', 'm1']);
  });

  it('puts endpoints on the parent network, with the network gateway as their default route', async () => {
    const link = JSON.parse((await mustRun('ip', ['-n', ns('m2'), '-j', '-d', 'link', 'show', 'eth0'])).stdout)[0];
    expect(link.linkinfo).toMatchObject({ info_kind: 'macvlan', info_data: { mode: 'bridge' } });
    expect((await mustRun('ip', ['-n', ns('m2'), 'route', 'show', 'default'])).stdout.trim()).toBe('default via 10.77.0.1 dev eth0');
    expect(await ping(ns('m1'), '10.77.0.1', { tries: 3 })).toBe(true);
    expect(await ping(lan, '10.77.0.12', { tries: 3 })).toBe(true);
  });

  it('lets bridge-mode endpoints talk to each other, and keeps private-mode ones apart', async () => {
    expect(await ping(ns('m1'), '10.77.0.12', { tries: 3 })).toBe(true);
    expect(await ping(ns('p1'), '10.79.0.1', { tries: 3 })).toBe(true);
    expect(await ping(ns('p2'), '10.79.0.1', { tries: 3 })).toBe(true);
    expect(await ping(ns('p1'), '10.79.0.12', { tries: 2 })).toBe(false);
  });

  it('keeps a network without a parent internal: its endpoints reach each other and nothing else', async () => {
    const i1 = /inet ([\d.]+)\//.exec((await mustRun('ip', ['-n', ns('i1'), '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout)?.[1] ?? '';
    expect(i1).toMatch(/^10\.78\.0\./);
    expect(await ping(ns('m1'), i1, { tries: 3 })).toBe(true);
    expect((await mustRun('ip', ['-n', ns('i1'), 'route', 'show', 'default'])).stdout.trim()).toBe('');
    expect(await ping(ns('i1'), '10.77.0.1')).toBe(false);
  });

  it('reports a mode changed by hand as drift and sets it back', async () => {
    await mustRun('ip', ['-n', ns('p1'), 'link', 'set', 'eth0', 'type', 'macvlan', 'mode', 'bridge']);
    const d = await cli('drift', '-o', 'json');
    expect(d.code).toBe(2);
    expect(JSON.parse(d.stdout).items).toEqual([expect.objectContaining({ kind: 'link', name: 'eth0', namespace: ns('p1'), status: 'changed' })]);
    expect((await cli('reconcile')).code).toBe(0);
    expect((await mustRun('ip', ['-n', ns('p1'), '-d', 'link', 'show', 'eth0'])).stdout).toContain('macvlan mode private');
    expect(await ping(ns('p1'), '10.79.0.12', { tries: 2 })).toBe(false);
  });

  it('names the parent this host lacks, and changes nothing', async () => {
    const bad = host.writeSpec({ 'spec.yaml': SPEC.replace('parent: lan0, subnet: 10.77.0.0/24', 'parent: eth9, subnet: 10.77.0.0/24') }, 'bad');
    const r = await runCli(['plan', '--netns', host.name, '--state-dir', host.stateDir, bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('networks.lan.parent: this host has no link "eth9"');
    const vlan = await runCli(['plan', '--netns', host.name, '--state-dir', host.stateDir, host.writeSpec({ 'spec.yaml': SPEC.replace('parent: lan0, subnet: 10.77.0.0/24', 'parent: eth9.10, subnet: 10.77.0.0/24') }, 'bad')]);
    expect(vlan.stderr).toContain('networks.lan.parent: "eth9.10" would be a VLAN of "eth9", and this host has no link "eth9"');
  });

  it.runIf(vlanSupported())('creates an 802.1Q parent that does not exist, owns it, and removes it with its last network', async () => {
    await batch(lan, ['link add link eth0 name eth0.10 type vlan id 10', 'addr add 10.80.0.1/24 dev eth0.10', 'link set eth0.10 up']);
    writeFileSync(join(dir, 'spec.yaml'), SPEC.replace('iso: { driver: macvlan, subnet: 10.78.0.0/24 }', 'iso: { driver: macvlan, subnet: 10.78.0.0/24 }\n  tagged: { driver: macvlan, parent: lan0.10, subnet: 10.80.0.0/24 }').replace('i1: { networks: [iso] }', 'i1: { networks: [iso] }\n  t1: { networks: { tagged: { ipv4: 10.80.0.11 } } }'));
    expect((await cli('reconcile')).code).toBe(0);
    const vlan = JSON.parse((await mustRun('ip', ['-n', host.name, '-j', '-d', 'link', 'show', 'lan0.10'])).stdout)[0];
    expect(vlan.linkinfo.info_data.id).toBe(10);
    expect(vlan.ifalias).toMatch(/^wirestate /);
    expect(await ping(ns('t1'), '10.80.0.1', { tries: 3 })).toBe(true);
    writeFileSync(join(dir, 'spec.yaml'), SPEC);
    expect((await cli('reconcile')).code).toBe(0);
    expect((await mustRun('ip', ['-n', host.name, 'link', 'show'])).stdout).not.toContain('lan0.10');
  });
});

// Two physical networks with the same subnet and router address, told apart by one more address each:
// only the network the endpoint's macvlan really sits on answers for its own.
const MOVE_SPEC = (parent: string) => `
networks:
  lan: { driver: macvlan, parent: ${parent}, subnet: 10.81.0.0/24 }
endpoints:
  m1: { networks: { lan: { ipv4: 10.81.0.11 } } }
settings: { defaultBridge: { enabled: false } }
`;

describe.skipIf(!kernel)('a macvlan network whose parent changes', () => {
  let host: HostNs;
  let dir: string;
  const m1 = () => `${host.name}-m1`;
  const cli = (cmd: string, ...extra: string[]) => runCli([cmd, ...(cmd === 'reconcile' ? ['--once'] : []), '--netns', host.name, '--state-dir', host.stateDir, ...extra, dir]);
  /** The host link the endpoint's eth0 sits on, by the ifindex its link-netns names. */
  async function parentOfEth0(): Promise<string> {
    const link = JSON.parse((await mustRun('ip', ['-n', m1(), '-j', '-d', 'link', 'show', 'eth0'])).stdout)[0];
    const hostLinks = JSON.parse((await mustRun('ip', ['-n', host.name, '-j', 'link', 'show'])).stdout) as { ifindex: number; ifname: string }[];
    return hostLinks.find((l) => l.ifindex === (link.link_index ?? link.ifindex))?.ifname ?? `ifindex ${link.link_index}`;
  }
  const reachesOnly = async (here: string, notThere: string) => [await ping(m1(), here, { tries: 3 }), await ping(m1(), notThere, { tries: 2 })];

  beforeAll(async () => {
    host = await makeHostNs('mvp');
    // lana and lanb on the host lead to <host>-na and <host>-nb: both 10.81.0.1, and 10.81.0.50 or .60.
    for (const [net, parent, own] of [['na', 'lana', '10.81.0.50'], ['nb', 'lanb', '10.81.0.60']] as const) {
      const ns = `${host.name}-${net}`;
      await mustRun('ip', ['netns', 'add', ns]);
      await batch(ns, [`link add eth0 type veth peer name ${parent} netns ${host.name}`, 'link set lo up', 'link set eth0 addrgenmode none', 'addr add 10.81.0.1/24 dev eth0', `addr add ${own}/24 dev eth0`, 'link set eth0 up']);
      await batch(host.name, [`link set ${parent} addrgenmode none`, `link set ${parent} up`]);
    }
    dir = host.writeSpec({ 'spec.yaml': MOVE_SPEC('lana') });
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    if (dir) await cli('down').catch(() => undefined);
    await host?.cleanup();
  });

  it('starts on the first parent', async () => {
    expect(await parentOfEth0()).toBe('lana');
    expect(await reachesOnly('10.81.0.50', '10.81.0.60')).toEqual([true, false]);
  });

  it('moves the endpoint to the new parent, address and default route made again, and then has nothing to do', async () => {
    writeFileSync(join(dir, 'spec.yaml'), MOVE_SPEC('lanb'));
    const r = await cli('reconcile');
    expect(r.code, r.stderr).toBe(0);
    expect(await parentOfEth0()).toBe('lanb');
    expect((await mustRun('ip', ['-n', m1(), '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain('inet 10.81.0.11/24');
    expect((await mustRun('ip', ['-n', m1(), 'route', 'show', 'default'])).stdout.trim()).toBe('default via 10.81.0.1 dev eth0');
    expect(await reachesOnly('10.81.0.60', '10.81.0.50')).toEqual([true, false]);
    const p = await cli('plan', '-o', 'json');
    expect(JSON.parse(p.stdout)).toEqual({ changes: [] });
  });

  it('reports a macvlan made again by hand on the wrong parent as drift, and puts it back', async () => {
    const was = JSON.parse((await mustRun('ip', ['-n', m1(), '-j', 'link', 'show', 'eth0'])).stdout)[0] as { address: string; ifalias: string };
    await mustRun('ip', ['-n', host.name, 'link', 'add', 'link', 'lana', 'name', 'byhand', 'netns', m1(), 'type', 'macvlan', 'mode', 'bridge']);
    // The same link in every other respect: only its parent differs.
    await batch(m1(), [
      'link del eth0',
      'link set byhand name eth0',
      `link set eth0 address ${was.address} alias "${was.ifalias}" addrgenmode none`,
      'link set eth0 up',
      'addr add 10.81.0.11/24 dev eth0',
      'route add default via 10.81.0.1 dev eth0',
    ]);
    expect(await parentOfEth0()).toBe('lana');
    const d = await cli('drift', '-o', 'json');
    expect(d.code).toBe(2);
    const items = JSON.parse(d.stdout).items as { kind: string; name: string; patch: unknown[] }[];
    expect(items.find((i) => i.kind === 'link')).toMatchObject({
      name: 'eth0',
      patch: [
        { op: 'test', path: `/namespaces/${m1()}/links/eth0/parent`, value: 'lana' },
        { op: 'replace', path: `/namespaces/${m1()}/links/eth0/parent`, value: 'lanb' },
      ],
    });
    expect((await cli('reconcile')).code).toBe(0);
    expect(await parentOfEth0()).toBe('lanb');
    expect(await reachesOnly('10.81.0.60', '10.81.0.50')).toEqual([true, false]);
    expect(JSON.parse((await cli('plan', '-o', 'json')).stdout)).toEqual({ changes: [] });
  });
});
