// Drift reports for every kind of drift (missing, extra, changed; links, addresses, routes,
// namespaces, sysctls, chains), in every format, checked to the character.
import { describe, expect, it } from 'vitest';
import { driftHtml, topologySvg } from '../../src/cli/output/drift-html.js';
import { driftMarkdown, driftTable, expectedFound } from '../../src/cli/output/drift-text.js';
import { topology } from '../../src/cli/output/topology.js';
import { type DriftItem, driftReport } from '../../src/reconcile/drift.js';
import { plan } from '../../src/reconcile/plan.js';
import { HOST_NS, type HostState } from '../../src/model/state.js';
import { desired, driftSpec, inSyncObserved, observed, report } from './fixtures/drift.js';
import { multiDesired, multiObserved, multiReport, multiSpec } from './fixtures/drift-multihost.js';

const at = new Date('2026-01-02T03:04:05Z');

describe('drift as text', () => {
  it('prints one row per object: what it is, where, how it drifted, expected against found', () => {
    expect(driftTable(report)).toBe(
      [
        '┌────────────────────────────────┬────────┬─────────┬─────────────────────────────────────┬─────────────────────────────────────┐',
        '│ object                         │ where  │ drift   │ expected                            │ found                               │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ namespace h1-old               │ h1-old │ extra   │ (absent)                            │ namespace of endpoint old           │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ link ws00000009                │ host   │ extra   │ (absent)                            │ veth, master ws-front, mtu 1500, up │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ link ws-front                  │ host   │ changed │ mtu: 1500                           │ mtu: 1400                           │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ link ws00000001                │ host   │ missing │ veth, master ws-front, mtu 1500, up │ (absent)                            │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ sysctl net.ipv4.ip_forward     │ host   │ changed │ 1                                   │ 0                                   │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ chain filter/WIRESTATE-FORWARD │ host   │ changed │ + -i ws-front -o ws-front -j ACCEPT │ (nothing extra)                     │',
        '│                                │        │         │ + -i ws-back -o ws-back -j ACCEPT   │                                     │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ address 10.10.0.99/24 dev eth1 │ h1-api │ extra   │ (absent)                            │ present                             │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ address 10.10.0.3/24 dev eth1  │ h1-api │ missing │ present                             │ (absent)                            │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ link eth0                      │ h1-web │ missing │ veth, mtu 1500, up                  │ (absent)                            │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ address 10.10.0.2/24 dev eth0  │ h1-web │ missing │ present                             │ (absent)                            │',
        '├────────────────────────────────┼────────┼─────────┼─────────────────────────────────────┼─────────────────────────────────────┤',
        '│ route default dev eth0         │ h1-web │ missing │ via 10.10.0.1                       │ (absent)                            │',
        '└────────────────────────────────┴────────┴─────────┴─────────────────────────────────────┴─────────────────────────────────────┘',
        '11 objects drifted.',
      ].join('\n'),
    );
    expect(driftTable({ inSync: true, items: [] })).toBe('In sync: the kernel matches the spec.');
  });

  it('shows firewall rules as a diff for missing, extra, reordered and partly changed chains', () => {
    const chain = (status: DriftItem['status'], detail: string[]): DriftItem => ({ kind: 'chain', name: 'filter/WIRESTATE-X', namespace: '@host', status, patch: [], detail });
    expect(expectedFound(chain('missing', ['+ -j RETURN']))).toEqual({ expected: '+ -j RETURN', found: '(absent)' });
    expect(expectedFound(chain('missing', []))).toEqual({ expected: '(empty)', found: '(absent)' });
    expect(expectedFound(chain('extra', ['- -j DROP']))).toEqual({ expected: '(absent)', found: '- -j DROP' });
    expect(expectedFound(chain('changed', ['- -j DROP', '+ -j RETURN']))).toEqual({ expected: '+ -j RETURN', found: '- -j DROP' });
    expect(expectedFound(chain('changed', ['- -j DROP']))).toEqual({ expected: '(nothing missing)', found: '- -j DROP' });
    expect(expectedFound(chain('changed', ['~ rule order']))).toEqual({ expected: 'the same rules, in the spec’s order', found: 'the same rules, in another order' });
  });
});

describe('drift as markdown', () => {
  it('is a table for a pull-request comment with the patch folded underneath', () => {
    const md = driftMarkdown(report, 'h1');
    expect(md.split('\n<details>')[0]).toBe(
      [
        '### wirestate drift: h1',
        '',
        '⚠️ 11 objects drifted from the spec.',
        '',
        '| object | where | drift | expected | found |',
        '|---|---|---|---|---|',
        '| `namespace h1-old` | h1-old | extra | (absent) | namespace of endpoint old |',
        '| `link ws00000009` | host | extra | (absent) | veth, master ws-front, mtu 1500, up |',
        '| `link ws-front` | host | changed | mtu: 1500 | mtu: 1400 |',
        '| `link ws00000001` | host | missing | veth, master ws-front, mtu 1500, up | (absent) |',
        '| `sysctl net.ipv4.ip_forward` | host | changed | 1 | 0 |',
        '| `chain filter/WIRESTATE-FORWARD` | host | changed | + -i ws-front -o ws-front -j ACCEPT<br>+ -i ws-back -o ws-back -j ACCEPT | (nothing extra) |',
        '| `address 10.10.0.99/24 dev eth1` | h1-api | extra | (absent) | present |',
        '| `address 10.10.0.3/24 dev eth1` | h1-api | missing | present | (absent) |',
        '| `link eth0` | h1-web | missing | veth, mtu 1500, up | (absent) |',
        '| `address 10.10.0.2/24 dev eth0` | h1-web | missing | present | (absent) |',
        '| `route default dev eth0` | h1-web | missing | via 10.10.0.1 | (absent) |',
        '',
      ].join('\n'),
    );
    const json = md.split('```json\n')[1]!.split('\n```')[0]!;
    expect(JSON.parse(json)).toEqual(report.items.map((i) => ({ kind: i.kind, name: i.name, patch: i.patch })));
    expect(md.endsWith('```\n</details>\n')).toBe(true);
    expect(driftMarkdown({ inSync: true, items: [] }, 'h1')).toBe('### wirestate drift: h1\n\n✅ In sync: the kernel matches the spec.\n');
  });
});

describe('the topology of a drift report', () => {
  it('marks each network, endpoint, attachment and port with the drift that touches it', () => {
    const t = topology(desired, observed, report, driftSpec);
    expect(t.networks).toEqual([
      { name: 'back', driver: 'bridge', bridge: 'ws-back', subnet: '10.20.0.0/24', state: 'ok', drift: [] },
      { name: 'front', driver: 'bridge', bridge: 'ws-front', subnet: '10.10.0.0/24', state: 'changed', drift: ['link ws-front changed'] },
    ]);
    expect(t.endpoints).toEqual([
      {
        name: 'api',
        namespace: 'h1-api',
        state: 'ok',
        drift: [],
        attachments: [
          { network: 'back', ifname: 'eth0', address: '10.20.0.2/24', state: 'ok', drift: [] },
          { network: 'front', ifname: 'eth1', address: '10.10.0.3/24', state: 'changed', drift: ['address 10.10.0.99/24 dev eth1 extra', 'address 10.10.0.3/24 dev eth1 missing'] },
        ],
        ports: [{ text: '127.0.0.1:8443 → 443/tcp', published: '8443', state: 'ok', drift: [] }],
      },
      { name: 'monitor', namespace: '', state: 'ok', drift: [], attachments: [], ports: [{ text: '9100', published: undefined, state: 'ok', drift: [] }] },
      {
        name: 'old',
        namespace: 'h1-old',
        state: 'extra',
        drift: ['namespace h1-old extra'],
        attachments: [{ network: 'front', ifname: 'eth0', address: '10.10.0.9/24', state: 'extra', drift: ['link ws00000009 extra'] }],
        ports: [],
      },
      {
        name: 'web',
        namespace: 'h1-web',
        state: 'ok',
        drift: [],
        attachments: [
          {
            network: 'front',
            ifname: 'eth0',
            address: '10.10.0.2/24',
            state: 'missing',
            drift: ['link ws00000001 missing', 'link eth0 missing', 'address 10.10.0.2/24 dev eth0 missing', 'route default dev eth0 missing'],
          },
        ],
        ports: [{ text: '8080:80', published: '8080', state: 'ok', drift: [] }],
      },
    ]);
    expect(t.host).toEqual({ state: 'changed', drift: ['sysctl net.ipv4.ip_forward changed', 'chain filter/WIRESTATE-FORWARD changed'] });
  });

  it('marks a published port whose firewall rule drifted', () => {
    const dnat: DriftItem = { kind: 'chain', name: 'nat/WIRESTATE-DNAT', namespace: '@host', status: 'changed', patch: [], detail: ['+ ! -i ws-front -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.10.0.2:80'] };
    const t = topology(desired, inSyncObserved, { inSync: false, items: [dnat] }, driftSpec);
    expect(t.endpoints.flatMap((e) => e.ports.map((p) => [e.name, p.text, p.state, p.drift]))).toEqual([
      ['api', '127.0.0.1:8443 → 443/tcp', 'ok', []],
      ['monitor', '9100', 'ok', []],
      ['web', '8080:80', 'changed', ['chain nat/WIRESTATE-DNAT changed']],
    ]);
  });

  it('draws each element in its state, with the drift as its tooltip', () => {
    const svg = topologySvg(topology(desired, observed, report, driftSpec));
    const groups = [...svg.matchAll(/<g class="([^"]+)"><title>([^<]*)<\/title>/g)].map((m) => `${m[1]}: ${m[2]!.replace(/\n/g, ' | ')}`);
    expect(groups).toEqual([
      'host s-changed: host: firewall chains and sysctls | sysctl net.ipv4.ip_forward changed | chain filter/WIRESTATE-FORWARD changed',
      'network s-ok: network back',
      'network s-changed: network front | link ws-front changed',
      'attachment s-ok: endpoint api on network back',
      'attachment s-changed: endpoint api on network front | address 10.10.0.99/24 dev eth1 extra | address 10.10.0.3/24 dev eth1 missing',
      'endpoint s-ok: endpoint api',
      'endpoint s-ok: endpoint monitor',
      'attachment s-extra: endpoint old on network front | link ws00000009 extra',
      'endpoint s-extra: endpoint old | namespace h1-old extra',
      'attachment s-missing: endpoint web on network front | link ws00000001 missing | link eth0 missing | address 10.10.0.2/24 dev eth0 missing | route default dev eth0 missing',
      'endpoint s-ok: endpoint web',
    ]);
    const texts = [...svg.matchAll(/>([^<>]+)<\/text>/g)].map((m) => m[1]);
    expect(texts).toEqual([
      'host', 'firewall, sysctls', 'changed',
      'back', 'ws-back · 10.20.0.0/24',
      'front', 'ws-front · 10.10.0.0/24', 'changed',
      'eth0 10.20.0.2/24', 'eth1 10.10.0.3/24 (changed)',
      'api', 'ns h1-api', '⇄ 127.0.0.1:8443 → 443/tcp',
      'monitor', 'host network', '⇄ 9100',
      'eth0 10.10.0.9/24 (extra)',
      'old', 'extra', 'ns h1-old',
      'eth0 10.10.0.2/24 (missing)',
      'web', 'ns h1-web', '⇄ 8080:80',
    ]);
    expect(svg.slice(0, svg.indexOf('<g'))).toBe('<svg xmlns="http://www.w3.org/2000/svg" width="1100" height="254" viewBox="0 0 1100 254" role="img" aria-label="topology">');
  });

  it('says so when there is nothing to draw', () => {
    const empty = { namespaces: {} };
    expect(topologySvg(topology(empty, empty, { inSync: true, items: [] }))).toBe('<p class="empty">The spec declares no networks and no endpoints, and the kernel holds none of wirestate’s.</p>');
  });
});

describe('the topology of a host on overlay and macvlan networks', () => {
  const t = topology(multiDesired, multiObserved, multiReport, multiSpec, 'a');

  it('shows each overlay with its VNI and the hosts it tunnels to, with the remote endpoints counted per host, and marks their drift', () => {
    const [shared, vault] = t.networks.filter((n) => n.driver === 'overlay');
    expect(shared).toEqual({
      name: 'shared',
      driver: 'overlay',
      bridge: 'ws-shared',
      subnet: '10.30.0.0/24',
      state: 'changed',
      drift: ['fdb 02:42:0a:1e:00:c8 dev wsvx001001 extra', 'fdb 02:42:0a:1e:00:43 dev wsvx001001 missing', 'neighbour 10.30.0.67 dev wsvx001001 missing'],
      overlay: {
        vxlan: { name: 'wsvx001001', vni: 4097, port: 4789, state: 'ok', drift: [] },
        encrypted: false,
        peers: [
          // Not a host of the spec any more: named by its address.
          { host: '192.0.2.14', address: '192.0.2.14', endpoints: 1, state: 'extra', drift: ['fdb 02:42:0a:1e:00:c8 dev wsvx001001 extra'] },
          { host: 'b', address: '192.0.2.12', endpoints: 2, state: 'changed', drift: ['fdb 02:42:0a:1e:00:43 dev wsvx001001 missing', 'neighbour 10.30.0.67 dev wsvx001001 missing'] },
          { host: 'c', address: '192.0.2.13', endpoints: 1, state: 'ok', drift: [] },
        ],
      },
    });
    // The VXLAN link is gone: the tunnel is missing, and so is every entry through it.
    expect(vault).toEqual({
      name: 'vault',
      driver: 'overlay',
      bridge: 'ws-vault',
      subnet: '10.31.0.0/24',
      state: 'changed',
      drift: ['link wsvx001b58 missing', 'xfrm-state esp 0x00001002 192.0.2.13>192.0.2.11 changed', 'fdb 02:42:0a:1f:00:82 dev wsvx001b58 missing', 'neighbour 10.31.0.130 dev wsvx001b58 missing'],
      overlay: {
        vxlan: { name: 'wsvx001b58', vni: 7000, port: 4789, state: 'missing', drift: ['link wsvx001b58 missing'] },
        encrypted: true,
        peers: [
          {
            host: 'c',
            address: '192.0.2.13',
            endpoints: 1,
            state: 'missing',
            drift: ['xfrm-state esp 0x00001002 192.0.2.13>192.0.2.11 changed', 'fdb 02:42:0a:1f:00:82 dev wsvx001b58 missing', 'neighbour 10.31.0.130 dev wsvx001b58 missing'],
          },
        ],
      },
    });
  });

  it('shows the gateway bridge with the endpoints that go out through it, and macvlan networks with their parent and mode', () => {
    expect(t.networks.filter((n) => n.driver !== 'overlay')).toEqual([
      { name: 'iso', driver: 'macvlan', bridge: 'wsmv0badc0de', subnet: '10.32.0.0/24', state: 'ok', drift: [], macvlan: { parent: '', mode: 'private' } },
      { name: 'lan', driver: 'macvlan', bridge: 'eth0.10', subnet: '192.168.10.0/24', state: 'changed', drift: ['link eth0.10 changed'], macvlan: { parent: 'eth0.10', mode: 'bridge' } },
      { name: 'ws_gwbridge', driver: 'gwbridge', bridge: 'ws_gwbridge', subnet: '172.18.0.0/16', state: 'changed', drift: ['link ws_gwbridge changed'], users: ['web'] },
    ]);
    // Endpoints of other hosts are no endpoints of this one (db publishes a port there, not here).
    expect(t.endpoints.map((e) => [e.name, e.attachments.map((a) => `${a.ifname} ${a.network} ${a.state}`), e.ports.map((p) => p.text)])).toEqual([
      ['job', ['eth0 lan changed', 'eth1 vault ok'], []],
      ['probe', ['eth0 iso ok'], []],
      ['web', ['eth0 shared ok', 'eth1 ws_gwbridge ok'], ['8080:80']],
    ]);
    expect(t.endpoints.find((e) => e.name === 'job')!.attachments[0]!.drift).toEqual(['link eth0 changed']);
    expect(t.host).toEqual({ state: 'ok', drift: [] });
  });

  it('marks nothing when the kernel matches', () => {
    const inSync = topology(multiDesired, structuredClone(multiDesired), { inSync: true, items: [] }, multiSpec, 'a');
    const states = inSync.networks.flatMap((n) => [n.state, ...(n.overlay ? [n.overlay.vxlan.state, ...n.overlay.peers.map((p) => p.state)] : [])]);
    expect(states).toEqual(Array(10).fill('ok'));
    expect(inSync.networks.find((n) => n.name === 'shared')!.overlay!.peers.map((p) => `${p.host} ${p.endpoints}`)).toEqual(['b 2', 'c 1']);
  });

  it('draws the tunnel and each remote host at the end of the overlay’s bar, and says what each network is', () => {
    const svg = topologySvg(t);
    const groups = [...svg.matchAll(/<g class="([^"]+)"><title>([^<]*)<\/title>/g)].map((m) => `${m[1]}: ${m[2]!.replace(/\n/g, ' | ')}`);
    expect(groups.filter((g) => !g.startsWith('attachment') && !g.startsWith('endpoint'))).toEqual([
      'host s-ok: host: firewall chains and sysctls',
      'network s-ok: macvlan network iso',
      'network s-changed: macvlan network lan | link eth0.10 changed',
      'network s-changed: overlay network shared | fdb 02:42:0a:1e:00:c8 dev wsvx001001 extra | fdb 02:42:0a:1e:00:43 dev wsvx001001 missing | neighbour 10.30.0.67 dev wsvx001001 missing',
      'vxlan s-ok: VXLAN wsvx001001 of overlay network shared',
      'peer s-extra: tunnel to 192.0.2.14: 1 remote endpoint | fdb 02:42:0a:1e:00:c8 dev wsvx001001 extra',
      'peer s-changed: tunnel to host b (192.0.2.12): 2 remote endpoints | fdb 02:42:0a:1e:00:43 dev wsvx001001 missing | neighbour 10.30.0.67 dev wsvx001001 missing',
      'peer s-ok: tunnel to host c (192.0.2.13): 1 remote endpoint',
      'network s-changed: overlay network vault | link wsvx001b58 missing | xfrm-state esp 0x00001002 192.0.2.13&gt;192.0.2.11 changed | fdb 02:42:0a:1f:00:82 dev wsvx001b58 missing | neighbour 10.31.0.130 dev wsvx001b58 missing',
      'vxlan s-missing: VXLAN wsvx001b58 of overlay network vault | link wsvx001b58 missing',
      'peer s-missing: tunnel to host c (192.0.2.13): 1 remote endpoint | xfrm-state esp 0x00001002 192.0.2.13&gt;192.0.2.11 changed | fdb 02:42:0a:1f:00:82 dev wsvx001b58 missing | neighbour 10.31.0.130 dev wsvx001b58 missing',
      'network s-changed: gateway bridge ws_gwbridge | way out for web | link ws_gwbridge changed',
    ]);
    const texts = [...svg.matchAll(/>([^<>]+)<\/text>/g)].map((m) => m[1]);
    expect(texts.slice(0, texts.indexOf('job'))).toEqual([
      'host', 'firewall, sysctls',
      'iso', 'macvlan · 10.32.0.0/24', 'no parent (internal) · private mode',
      'lan', 'macvlan · 192.168.10.0/24', 'on eth0.10 · bridge mode', 'changed',
      'shared', 'ws-shared · 10.30.0.0/24', 'VNI 4097 · udp/4789', 'changed',
      'wsvx001001',
      '→ 192.0.2.14 · 1 endpoint (extra)', '→ b · 192.0.2.12 · 2 endpoints (changed)', '→ c · 192.0.2.13 · 1 endpoint',
      'vault', 'ws-vault · 10.31.0.0/24', 'VNI 7000 · udp/4789 · IPsec', 'changed',
      'wsvx001b58', 'missing',
      '→ c · 192.0.2.13 · 1 endpoint (missing)',
      'ws_gwbridge', 'ws_gwbridge · 172.18.0.0/16', 'way out for 1 endpoint', 'changed',
      'eth0 192.168.10.5/24 (changed)', 'eth1 10.31.0.2/24',
    ]);
    // Room on the right for the remote hosts, below for the gateway bridge's third line (its bar at 452).
    expect(svg.slice(0, svg.indexOf('<g'))).toBe('<svg xmlns="http://www.w3.org/2000/svg" width="1208" height="499" viewBox="0 0 1208 499" role="img" aria-label="topology">');
  });

  it('stays one line per remote host, and short tooltips, with hundreds of endpoints', () => {
    const n = 300;
    const fdb: NonNullable<HostState['namespaces'][string]['fdb']> = {};
    for (let i = 0; i < n; i++) {
      const mac = `02:42:0a:28:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      fdb[`${mac} dev wsvx001001`] = { dev: 'wsvx001001', mac, dst: `192.0.2.${12 + (i % 3)}` };
    }
    const users = Array.from({ length: 25 }, (_, i) => `e${String(i).padStart(2, '0')}`);
    const host = multiDesired.namespaces[HOST_NS]!;
    const big: HostState = {
      namespaces: {
        [HOST_NS]: { ...host, links: { 'ws-shared': host.links['ws-shared']!, wsvx001001: host.links.wsvx001001!, ws_gwbridge: host.links.ws_gwbridge! }, fdb, neighbours: {}, xfrmStates: {}, xfrmPolicies: {} },
        ...Object.fromEntries(users.map((e) => [`h2-${e}`, { netns: `h2-${e}`, endpoint: e, owned: true, links: { eth1: { name: 'eth1', kind: 'veth', alias: `wirestate endpoint ${e} network ws_gwbridge`, up: true } }, addresses: {}, routes: {}, sysctls: {} }])),
      },
    } as HostState;
    // The kernel lost every entry towards 192.0.2.14 (a host the spec does not name).
    const seen = structuredClone(big);
    for (const [k, f] of Object.entries(seen.namespaces[HOST_NS]!.fdb!)) if (f.dst === '192.0.2.14') delete seen.namespaces[HOST_NS]!.fdb![k];
    const r = driftReport(plan(big, seen));
    expect(r.items).toHaveLength(100);
    const bt = topology(big, seen, r, multiSpec, 'a');
    const shared = bt.networks.find((x) => x.name === 'shared')!;
    expect(shared.overlay!.peers.map((p) => [p.host, p.endpoints, p.state, p.drift.length])).toEqual([
      ['192.0.2.14', 100, 'missing', 100],
      ['b', 100, 'ok', 0],
      ['c', 100, 'ok', 0],
    ]);
    expect(bt.networks.find((x) => x.name === 'ws_gwbridge')!.users).toEqual(users);
    const svg = topologySvg(bt);
    expect(svg.match(/<g class="peer /g)).toHaveLength(3);
    const tooltip = /<g class="peer s-missing"><title>([^<]*)<\/title>/.exec(svg)![1]!.split('\n');
    expect(tooltip).toHaveLength(12);
    expect([tooltip[0], tooltip[11]]).toEqual(['tunnel to 192.0.2.14: 100 remote endpoints', '… and 90 more, in the table below']);
    expect(/<g class="network s-ok"><title>gateway bridge ws_gwbridge\nway out for ([^<\n]*)<\/title>/.exec(svg)![1]).toBe('e00, e01, e02, e03, e04, e05, e06, e07, e08, e09 and 15 more');
  });
});

describe('drift as HTML', () => {
  const page = driftHtml({ report, topology: topology(desired, observed, report, driftSpec), host: 'h1', dir: '/etc/wirestate', generatedAt: at });

  it('is one self-contained page: no scripts, nothing fetched', () => {
    expect(page.startsWith('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n<title>wirestate drift: h1</title>\n<style>')).toBe(true);
    expect(page).not.toMatch(/<script|<link |src=|url\(/);
    expect(page.endsWith('</body></html>\n')).toBe(true);
  });

  it('has a summary, the picture with a legend, and the drifted objects', () => {
    const body = page.split('</style></head><body>\n')[1]!;
    const [before, after] = body.split(/<div class="figure">.*<\/div>\n/s);
    expect(before).toBe(
      [
        '<h1>wirestate drift report</h1>',
        '<p class="meta">host: h1 · spec: /etc/wirestate · generated 2026-01-02T03:04:05.000Z</p>',
        '<h2>Summary</h2>',
        '<p class="verdict drift">⚠️ 11 objects drifted from the spec: 5 missing, 3 extra, 3 changed.</p>',
        '<h2>Topology</h2>',
        '',
      ].join('\n'),
    );
    const [legend, table, details] = after!.split('\n').filter((l) => l.startsWith('<p class="legend">') || l.startsWith('<tbody>') || l.startsWith('<details>'));
    expect(legend).toBe(
      '<p class="legend"><span class="s-ok"><i></i>in sync</span> <span class="s-missing"><i></i>missing: in the spec, not in the kernel</span> <span class="s-extra"><i></i>extra: in the kernel, not in the spec</span> <span class="s-changed"><i></i>changed: differs from the spec</span></p>',
    );
    expect(table!.split('</tr>').slice(0, 6)).toEqual([
      '<tbody><tr><td><code>namespace h1-old</code></td><td>h1-old</td><td class="s-extra">extra</td><td>(absent)</td><td>namespace of endpoint old</td>',
      '<tr><td><code>link ws00000009</code></td><td>host</td><td class="s-extra">extra</td><td>(absent)</td><td>veth, master ws-front, mtu 1500, up</td>',
      '<tr><td><code>link ws-front</code></td><td>host</td><td class="s-changed">changed</td><td>mtu: 1500</td><td>mtu: 1400</td>',
      '<tr><td><code>link ws00000001</code></td><td>host</td><td class="s-missing">missing</td><td>veth, master ws-front, mtu 1500, up</td><td>(absent)</td>',
      '<tr><td><code>sysctl net.ipv4.ip_forward</code></td><td>host</td><td class="s-changed">changed</td><td>1</td><td>0</td>',
      '<tr><td><code>chain filter/WIRESTATE-FORWARD</code></td><td>host</td><td class="s-changed">changed</td><td>+ -i ws-front -o ws-front -j ACCEPT<br>+ -i ws-back -o ws-back -j ACCEPT</td><td>(nothing extra)</td>',
    ]);
    expect(table!.match(/<tr>/g)).toHaveLength(11);
    expect(details).toBe('<details><summary>JSON Patch (observed → desired)</summary>');
  });

  it('says in sync, with no table, when nothing drifted; and escapes what it prints', () => {
    const clean = driftHtml({ report: { inSync: true, items: [] }, topology: topology(desired, inSyncObserved, { inSync: true, items: [] }), host: '<h1>', dir: '/a&b', generatedAt: at });
    expect(clean).toContain('<p class="verdict ok">✅ In sync: the kernel matches the spec.</p>');
    expect(clean).toContain('<p class="meta">host: &lt;h1&gt; · spec: /a&amp;b · generated 2026-01-02T03:04:05.000Z</p>');
    expect(clean).not.toContain('<table>');
  });
});
