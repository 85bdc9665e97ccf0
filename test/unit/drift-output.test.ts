// Drift reports for every kind of drift (missing, extra, changed; links, addresses, routes,
// namespaces, sysctls, chains), in every format, checked to the character.
import { describe, expect, it } from 'vitest';
import { driftHtml, topologySvg } from '../../src/cli/output/drift-html.js';
import { driftMarkdown, driftTable, expectedFound } from '../../src/cli/output/drift-text.js';
import { topology } from '../../src/cli/output/topology.js';
import type { DriftItem } from '../../src/reconcile/drift.js';
import { desired, driftSpec, inSyncObserved, observed, report } from './fixtures/drift.js';

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
      { name: 'back', bridge: 'ws-back', subnet: '10.20.0.0/24', state: 'ok', drift: [] },
      { name: 'front', bridge: 'ws-front', subnet: '10.10.0.0/24', state: 'changed', drift: ['link ws-front changed'] },
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
