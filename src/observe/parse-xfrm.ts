// Pure parsing of `ip xfrm state` / `ip xfrm policy` text (iproute2 has no JSON for xfrm) into the
// model, keeping only wirestate's own objects (reqid or mark tagged, see XFRM_TAG). Keys never
// leave this module: a state carries the digest of its key, the key itself is dropped here.
import { xfrmPolicyKey, xfrmStateKey, type XfrmPolicy, type XfrmState } from '../model/state.js';
import { keyDigest } from '../net/esp.js';
import { isWirestateXfrm } from '../reconcile/names.js';

/** Each object is a line at the margin followed by its indented lines. */
function blocks(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (/^\S/.test(line) || out.length === 0) out.push(line);
    else out[out.length - 1] += `\n${line}`;
  }
  return out;
}

const HEAD = /^src (\S+) dst (\S+)/;
const ESP = /^\s*proto esp spi (0x[0-9a-f]+) reqid (\d+) mode (\w+)/m;
const AEAD = /^\s*aead (\S+) 0x([0-9a-f]+) (\d+)/m;

export function parseXfrmStates(text: string): Record<string, XfrmState> {
  const out: Record<string, XfrmState> = {};
  for (const b of blocks(text)) {
    const head = HEAD.exec(b);
    const esp = ESP.exec(b);
    if (!head || !esp || esp[3] !== 'transport' || !isWirestateXfrm(Number(esp[2]))) continue;
    const aead = AEAD.exec(b);
    const state: XfrmState = {
      src: head[1],
      dst: head[2],
      spi: Number.parseInt(esp[1], 16),
      reqid: Number(esp[2]),
      algorithm: aead?.[1] ?? '(none)',
      icvBits: aead ? Number(aead[3]) : 0,
      keyDigest: aead ? keyDigest(aead[2]) : '(none)',
    };
    out[xfrmStateKey(state)] = state;
  }
  return out;
}

const SELECTOR = /^src (\S+?)(?:\/32)? dst (\S+?)(?:\/32)? proto udp (?:sport \d+ )?dport (\d+)/;
const DIR_OUT = /^\s*dir out /m;
const MARK = /^\s*mark (0x[0-9a-f]+)\/0xffffffff/m;
const TMPL_REQID = /^\s*proto esp (?:spi 0x[0-9a-f]+ )?reqid (\d+) mode transport/m;

export function parseXfrmPolicies(text: string): Record<string, XfrmPolicy> {
  const out: Record<string, XfrmPolicy> = {};
  for (const b of blocks(text)) {
    const sel = SELECTOR.exec(b);
    const mark = MARK.exec(b);
    if (!sel || !mark || !DIR_OUT.test(b) || !isWirestateXfrm(Number.parseInt(mark[1], 16))) continue;
    const policy: XfrmPolicy = {
      src: sel[1],
      dst: sel[2],
      dport: Number(sel[3]),
      mark: Number.parseInt(mark[1], 16),
      reqid: Number(TMPL_REQID.exec(b)?.[1] ?? 0),
    };
    out[xfrmPolicyKey(policy)] = policy;
  }
  return out;
}
