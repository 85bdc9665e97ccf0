// `drift -o html`: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) that
// someone opens in a browser: a summary, a picture of the topology with the drifted parts marked,
// the drifted objects one per row, and the JSON Patch underneath.
import type { DriftReport } from '../../reconcile/drift.js';
import { expectedFound, where } from './drift-text.js';
import type { TopoDriver, TopoEndpoint, TopoNetwork, TopoOverlay, TopoState, Topology } from './topology.js';
import { plural } from './words.js';

export interface HtmlReport {
  report: DriftReport;
  topology: Topology;
  /** The host: its namespace, or "this host". */
  host: string;
  dir: string;
  generatedAt: Date;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STATE_TEXT: Record<TopoState, string> = {
  ok: 'in sync',
  missing: 'missing: in the spec, not in the kernel',
  extra: 'extra: in the kernel, not in the spec',
  changed: 'changed: differs from the spec',
};

// Geometry of the picture: endpoints in columns at the top, networks as horizontal bars below,
// one vertical wire per attachment from an endpoint down to its network's bar. An overlay's bar
// ends in its VXLAN link, tunnelled to one box per remote host (its row grows with their number).
const LEFT = 220;
const TOP = 16;
const COL = 200;
const BOX_W = 180;
const ROW = 72;
const TUNNEL_W = 88;
/** From the end of the bars to the remote hosts' boxes: the VXLAN box, then the tunnels. */
const PEER_GAP = 130;
const PEER_W = 250;
const PEER_ROW = 22;
/** Drift lines a tooltip lists before it refers to the table: an overlay can have two per remote endpoint. */
const TOOLTIP_DRIFT = 10;
const boxHeight = (e: TopoEndpoint): number => 50 + 16 * e.ports.length;
const rowHeight = (n: TopoNetwork): number => Math.max(ROW, 28 + PEER_ROW * (n.overlay?.peers.length ?? 0));
/** How far below its bar a network's row reaches: its label lines, its remote hosts' boxes. */
const rowBottom = (n: TopoNetwork): number => Math.max(40, 32 + 15 * (networkLines(n).length - 1), PEER_ROW * (n.overlay?.peers.length ?? 0) - 4);

const NETWORK_TITLE: Record<TopoDriver, string> = { bridge: 'network', gwbridge: 'gateway bridge', overlay: 'overlay network', macvlan: 'macvlan network' };

function tag(state: TopoState, x: number, y: number): string {
  return state === 'ok' ? '' : `<text class="tag" x="${x}" y="${y}" text-anchor="end">${state}</text>`;
}

/** `<title>` is the tooltip: the element, what to know about it, and what drifted in it. */
function title(name: string, drift: string[], notes: string[] = []): string {
  const shown = drift.length > TOOLTIP_DRIFT ? [...drift.slice(0, TOOLTIP_DRIFT), `… and ${drift.length - TOOLTIP_DRIFT} more, in the table below`] : drift;
  return `<title>${esc([name, ...notes, ...shown].join('\n'))}</title>`;
}

/** "a, b, c and 7 more": names in a tooltip line that stays short. */
const some = (names: string[], max = 10): string => (names.length > max ? `${names.slice(0, max).join(', ')} and ${names.length - max} more` : names.join(', '));

/** The lines under a network's name. */
function networkLines(n: TopoNetwork): string[] {
  if (n.macvlan) return [['macvlan', n.subnet].filter(Boolean).join(' · '), `${n.macvlan.parent ? `on ${n.macvlan.parent}` : 'no parent (internal)'} · ${n.macvlan.mode} mode`];
  const lines = [[n.bridge, n.subnet].filter(Boolean).join(' · ')];
  const v = n.overlay?.vxlan;
  if (v) lines.push([v.vni === undefined ? 'VXLAN' : `VNI ${v.vni} · udp/${v.port}`, n.overlay!.encrypted ? 'IPsec' : ''].filter(Boolean).join(' · '));
  if (n.users) lines.push(`way out for ${plural(n.users.length, 'endpoint')}`);
  return lines;
}

/** An overlay's VXLAN link at the end of its bar (`y`), and a tunnel from it to each remote host. */
function tunnelSvg(network: string, o: TopoOverlay, y: number, barEnd: number): string[] {
  const v = o.vxlan;
  const bx = barEnd + 8;
  const px = barEnd + PEER_GAP;
  return [
    `<g class="vxlan s-${v.state}">${title(`VXLAN ${v.name} of overlay network ${network}`, v.drift)}<rect x="${bx}" y="${y - 6}" width="${TUNNEL_W}" height="22" rx="4"/>` +
      `<text class="small" x="${bx + 8}" y="${y + 9}">${esc(v.name)}</text>${tag(v.state, bx + TUNNEL_W, y + 30)}</g>`,
    ...o.peers.map((p, i) => {
      const py = y - 8 + i * PEER_ROW;
      const who = p.host === p.address ? p.address : `${p.host} · ${p.address}`;
      return (
        `<g class="peer s-${p.state}">${title(`tunnel to ${p.host === p.address ? p.address : `host ${p.host} (${p.address})`}: ${plural(p.endpoints, 'remote endpoint')}`, p.drift)}` +
        `<line x1="${bx + TUNNEL_W}" y1="${y + 5}" x2="${px}" y2="${py + 9}"/><rect x="${px}" y="${py}" width="${PEER_W}" height="18" rx="4"/>` +
        `<text class="small" x="${px + 8}" y="${py + 13}">→ ${esc(`${who} · ${plural(p.endpoints, 'endpoint')}`)}${p.state === 'ok' ? '' : ` (${p.state})`}</text></g>`
      );
    }),
  ];
}

export function topologySvg(t: Topology): string {
  if (t.networks.length === 0 && t.endpoints.length === 0) return '<p class="empty">The spec declares no networks and no endpoints, and the kernel holds none of wirestate’s.</p>';
  const boxesBottom = TOP + Math.max(46, ...t.endpoints.map(boxHeight));
  const netTop = boxesBottom + 60;
  const barY = new Map<string, number>();
  let next = netTop;
  for (const n of t.networks) {
    barY.set(n.name, next);
    next += rowHeight(n);
  }
  // The bars end under the last column, leaving room for the label of its wire.
  const barEnd = LEFT + Math.max(1, t.endpoints.length) * COL - 8;
  const width = t.networks.some((n) => n.overlay) ? barEnd + PEER_GAP + PEER_W + 16 : barEnd + 88;
  const height = Math.max(netTop + 40, ...t.networks.map((n) => barY.get(n.name)! + rowBottom(n)));
  const parts: string[] = [];

  parts.push(
    `<g class="host s-${t.host.state}">${title('host: firewall chains and sysctls', t.host.drift)}<rect x="8" y="${TOP}" width="${LEFT - 40}" height="46" rx="6"/>` +
      `<text class="name" x="18" y="${TOP + 20}">host</text><text class="small" x="18" y="${TOP + 37}">firewall, sysctls</text>${tag(t.host.state, LEFT - 40, TOP + 20)}</g>`,
  );
  for (const n of t.networks) {
    const y = barY.get(n.name)!;
    const notes = n.users ? [`way out for ${some(n.users) || 'no endpoint'}`] : [];
    const lines = networkLines(n).map((l, i) => `<text class="small" x="8" y="${y + 26 + 15 * i}">${esc(l)}</text>`);
    parts.push(
      `<g class="network s-${n.state}">${title(`${NETWORK_TITLE[n.driver]} ${n.name}`, n.drift, notes)}<rect class="bar" x="${LEFT - 12}" y="${y}" width="${barEnd - LEFT + 12}" height="10" rx="5"/>` +
        `<text class="name" x="8" y="${y + 9}">${esc(n.name)}</text>${lines.join('')}${tag(n.state, LEFT - 24, y + 9)}</g>`,
    );
    if (n.overlay) parts.push(...tunnelSvg(n.name, n.overlay, y, barEnd));
  }
  t.endpoints.forEach((e, j) => {
    const x = LEFT + j * COL;
    const h = boxHeight(e);
    e.attachments.forEach((a, k) => {
      const y = barY.get(a.network);
      if (y === undefined) return;
      const wx = x + BOX_W / 2 + (k - (e.attachments.length - 1) / 2) * 18;
      parts.push(
        `<g class="attachment s-${a.state}">${title(`endpoint ${e.name} on network ${a.network}`, a.drift)}<line x1="${wx}" y1="${TOP + h}" x2="${wx}" y2="${y + 5}"/><circle cx="${wx}" cy="${y + 5}" r="5"/>` +
          `<text class="small" x="${wx + 8}" y="${y - 6}">${esc([a.ifname, a.address].filter(Boolean).join(' '))}${a.state === 'ok' ? '' : ` (${a.state})`}</text></g>`,
      );
    });
    const lines = [`<text class="small" x="${x + 10}" y="${TOP + 37}">${esc(e.namespace ? `ns ${e.namespace}` : 'host network')}</text>`];
    e.ports.forEach((p, i) => {
      lines.push(`<text class="port s-${p.state}" x="${x + 10}" y="${TOP + 55 + i * 16}">${title(`port ${p.text}`, p.drift)}⇄ ${esc(p.text)}${p.state === 'ok' ? '' : ` (${p.state})`}</text>`);
    });
    parts.push(
      `<g class="endpoint s-${e.state}">${title(`endpoint ${e.name}`, e.drift)}<rect x="${x}" y="${TOP}" width="${BOX_W}" height="${h}" rx="6"/>` +
        `<text class="name" x="${x + 10}" y="${TOP + 20}">${esc(e.name)}</text>${tag(e.state, x + BOX_W - 8, TOP + 20)}${lines.join('')}</g>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="topology">${parts.join('')}</svg>`;
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1f2933; margin: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #52606d; margin: 0; }
.verdict { font-size: 16px; font-weight: 600; } .verdict.ok { color: #1e7b34; } .verdict.drift { color: #b03a2e; }
table { border-collapse: collapse; } th, td { border: 1px solid #cbd2d9; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f7fa; } td.s-missing { color: #c0392b; } td.s-extra { color: #d35400; } td.s-changed { color: #9a7d0a; }
code, pre { font: 12px ui-monospace, monospace; } .figure { overflow-x: auto; border: 1px solid #e4e7eb; padding: 8px; }
svg text { font: 13px system-ui, sans-serif; fill: #1f2933; } svg .name { font-weight: 600; } svg .small, svg .port { font-size: 11px; fill: #52606d; }
svg rect, svg circle { stroke-width: 1.5; } svg line { stroke-width: 2; }
.s-ok rect, .s-ok circle { stroke: #2f6fb5; fill: #eef5fc; } .s-ok line { stroke: #2f6fb5; } .s-ok rect.bar { fill: #2f6fb5; }
.s-missing rect, .s-missing circle { stroke: #c0392b; fill: #fdecea; stroke-dasharray: 5 3; } .s-missing line { stroke: #c0392b; stroke-dasharray: 5 3; } .s-missing rect.bar { fill: #f5b7b1; }
.s-extra rect, .s-extra circle { stroke: #d35400; fill: #fef3e7; stroke-dasharray: 5 3; } .s-extra line { stroke: #d35400; stroke-dasharray: 5 3; } .s-extra rect.bar { fill: #f8c471; }
.s-changed rect, .s-changed circle { stroke: #b7950b; fill: #fdf8e1; } .s-changed line { stroke: #b7950b; } .s-changed rect.bar { fill: #f4d03f; }
svg .tag { font-size: 11px; font-weight: 700; text-transform: uppercase; }
.s-missing > .tag, svg .port.s-missing { fill: #c0392b; } .s-extra > .tag, svg .port.s-extra { fill: #d35400; } .s-changed > .tag, svg .port.s-changed { fill: #9a7d0a; }
.legend span { display: inline-block; margin-right: 18px; } .legend i { display: inline-block; width: 14px; height: 10px; border: 2px solid; margin-right: 6px; vertical-align: middle; }
.legend .s-ok i { border-color: #2f6fb5; background: #eef5fc; } .legend .s-missing i { border: 2px dashed #c0392b; background: #fdecea; }
.legend .s-extra i { border: 2px dashed #d35400; background: #fef3e7; } .legend .s-changed i { border-color: #b7950b; background: #fdf8e1; }
`;

export function driftHtml(r: HtmlReport): string {
  const { report } = r;
  const count = (s: string): number => report.items.filter((i) => i.status === s).length;
  const verdict = report.inSync
    ? '<p class="verdict ok">✅ In sync: the kernel matches the spec.</p>'
    : `<p class="verdict drift">⚠️ ${plural(report.items.length, 'object')} drifted from the spec: ${count('missing')} missing, ${count('extra')} extra, ${count('changed')} changed.</p>`;
  const rows = report.items.map((i) => {
    const { expected, found } = expectedFound(i);
    const cell = (s: string): string => esc(s).replace(/\n/g, '<br>');
    return `<tr><td><code>${esc(`${i.kind} ${i.name}`)}</code></td><td>${esc(where(i.namespace))}</td><td class="s-${i.status}">${i.status}</td><td>${cell(expected)}</td><td>${cell(found)}</td></tr>`;
  });
  const legend = (['ok', 'missing', 'extra', 'changed'] as const).map((s) => `<span class="s-${s}"><i></i>${STATE_TEXT[s]}</span>`).join(' ');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>wirestate drift: ${esc(r.host)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>wirestate drift report</h1>`,
    `<p class="meta">host: ${esc(r.host)} · spec: ${esc(r.dir)} · generated ${r.generatedAt.toISOString()}</p>`,
    '<h2>Summary</h2>',
    verdict,
    '<h2>Topology</h2>',
    `<div class="figure">${topologySvg(r.topology)}</div>`,
    `<p class="legend">${legend}</p>`,
    ...(report.inSync
      ? []
      : [
          '<h2>Drifted objects</h2>',
          '<table><thead><tr><th>object</th><th>where</th><th>drift</th><th>expected</th><th>found</th></tr></thead>',
          `<tbody>${rows.join('')}</tbody></table>`,
          '<details><summary>JSON Patch (observed → desired)</summary>',
          `<pre>${esc(JSON.stringify(report.items.map((i) => ({ kind: i.kind, name: i.name, patch: i.patch })), null, 2))}</pre></details>`,
        ]),
    '</body></html>',
    '',
  ].join('\n');
}
