// What the embedded resolver does with one query from one endpoint: answer it from the records
// (Docker's rules, daemon/libnetwork/resolver.go), or say it must be forwarded. Pure: bytes in,
// bytes or a decision out.
import { type Answer, type Packet, AUTHORITATIVE_ANSWER, RECURSION_AVAILABLE, RECURSION_DESIRED, TRUNCATED_RESPONSE, decode, encode } from 'dns-packet';
import type { ResolverView } from './records.js';
import { type LocalAnswer, TYPE, readQuery, writeResponse } from './wire.js';
import type { Addresses, Zone } from './zone.js';

/** Docker's TTL for every local answer. */
export const LOCAL_TTL = 600;
const UDP_MIN = 512;
const TCP_MAX = 65535;
/** What we tell EDNS clients we accept. */
const EDNS_SIZE = 1232;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export type Transport = 'udp' | 'tcp';

export type Outcome =
  /** Send this back. */
  | { kind: 'answer'; response: Buffer }
  /** Ask the upstreams with the query as it came. */
  | { kind: 'forward' }
  /** Not a query (a response, or too short to answer): say nothing. */
  | { kind: 'ignore' };

type Lookup = { found: Addresses } | { nxdomain: true } | undefined;

/** A name the endpoint's networks know, as itself or as `name.network`; NXDOMAIN for an unknown name in a network's domain. */
function lookup(name: string, view: ResolverView, zone: Zone): Lookup {
  const q = name.toLowerCase();
  for (const net of view.networks) {
    const found = zone.find(net, q);
    if (found) return { found };
  }
  for (const net of view.networks) {
    const suffix = `.${net.toLowerCase()}`;
    if (q.endsWith(suffix) && q.length > suffix.length) {
      const found = zone.find(net, q.slice(0, -suffix.length));
      return found ? { found } : { nxdomain: true };
    }
  }
  return undefined;
}

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4"; undefined for any other name. */
function reverseAddress(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/i.exec(name);
  return m ? [m[4], m[3], m[2], m[1]].join('.') : undefined;
}

function reverseLookup(address: string, view: ResolverView, zone: Zone): string | undefined {
  for (const net of view.networks) {
    const e = zone.ptr(net, address);
    if (e) return `${e}.${net}`;
  }
  return undefined;
}

/** Multiple addresses (an alias several endpoints share) come in a new order every time, as Docker does. */
function shuffled(a: Addresses, random: () => number): Addresses {
  if (a.text.length < 2) return a;
  const order = a.text.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return { text: order.map((i) => a.text[i]!), bytes: order.map((i) => a.bytes[i]!) };
}

const optOf = (p: Packet): Extract<Answer, { type: 'OPT' }> | undefined => p.additionals?.find((a): a is Extract<Answer, { type: 'OPT' }> => a.type === 'OPT');

/** Largest answer the client takes: 512 bytes over UDP unless it says more with EDNS, 64 KiB over TCP. */
function sizeLimit(query: Packet, transport: Transport): number {
  if (transport === 'tcp') return TCP_MAX;
  return Math.max(UDP_MIN, Math.min(optOf(query)?.udpPayloadSize ?? UDP_MIN, EDNS_SIZE));
}

/** A response to `query` with `rcode` and these answers; truncated (TC, no answers) when over the limit. */
function reply(query: Packet, rcode: number, answers: Answer[], limit: number, authoritative: boolean): Buffer {
  const flags = (authoritative ? AUTHORITATIVE_ANSWER : 0) | RECURSION_AVAILABLE | ((query.flags ?? 0) & RECURSION_DESIRED) | rcode;
  const edns: Answer[] = optOf(query) ? [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [];
  const packet: Packet = { type: 'response', id: query.id, flags, questions: query.questions, answers, additionals: edns };
  const full = encode(packet);
  return full.length <= limit ? full : encode({ ...packet, flags: flags | TRUNCATED_RESPONSE, answers: [] });
}

/** An answer with only a status (SERVFAIL after the upstreams failed, REFUSED when overloaded) to the query in `raw`. */
export function statusResponse(raw: Buffer, rcode: number, transport: Transport): Buffer | undefined {
  try {
    const query = decode(raw);
    return reply(query, rcode, [], sizeLimit(query, transport), false);
  } catch {
    return headerOnly(raw, rcode);
  }
}

/** For a packet too broken to decode: its id and opcode back with `rcode`, nothing else. */
function headerOnly(raw: Buffer, rcode: number): Buffer | undefined {
  if (raw.length < 12 || raw[2]! & 0x80) return undefined;
  const out = Buffer.alloc(12);
  raw.copy(out, 0, 0, 2);
  out.writeUInt16BE(0x8000 | (raw.readUInt16BE(2) & 0x7900) | RECURSION_AVAILABLE | rcode, 2);
  return out;
}

/** What the records say about a question: an answer from here (rcode, and A or PTR data), or forward it. */
type Decision = { kind: 'forward' } | { kind: 'local'; rcode: number; answer?: LocalAnswer };

const NOERROR_EMPTY: Decision = { kind: 'local', rcode: RCODE.NOERROR };

/**
 * Docker's rules: A for a known name (its endpoint name, hostname, alias, or name.network) on a
 * network the endpoint shares; AAAA and MX for such a name answered empty (no IPv6 in this
 * version); NXDOMAIN for an unknown name.network; PTR for a known address; an empty answer for an
 * unknown single-label name when the user set ndots (so the stub tries its search list);
 * everything else forwarded. `type` is the numeric query type.
 */
function decide(name: string, type: number, view: ResolverView, zone: Zone, random: () => number): Decision {
  if (type === TYPE.PTR) {
    const address = reverseAddress(name);
    const target = address && reverseLookup(address, view, zone);
    return target ? { kind: 'local', rcode: RCODE.NOERROR, answer: { type: TYPE.PTR, target } } : { kind: 'forward' };
  }
  const found = lookup(name, view, zone);
  if (found && 'nxdomain' in found) return { kind: 'local', rcode: RCODE.NXDOMAIN };
  if (found) {
    if (type === TYPE.A) return { kind: 'local', rcode: RCODE.NOERROR, answer: { type: TYPE.A, addresses: shuffled(found.found, random) } };
    return type === TYPE.AAAA || type === TYPE.MX ? NOERROR_EMPTY : { kind: 'forward' };
  }
  if (view.ndots && (type === TYPE.A || type === TYPE.AAAA) && !name.includes('.')) return NOERROR_EMPTY;
  return { kind: 'forward' };
}

/** The resolver's decision for `raw` from the endpoint with `view`: the common query straight from bytes, any other through dns-packet. */
export function respond(raw: Buffer, view: ResolverView, zone: Zone, transport: Transport, random: () => number = Math.random): Outcome {
  const q = readQuery(raw);
  if (q) {
    const d = decide(q.name, q.type, view, zone, random);
    if (d.kind === 'forward') return d;
    const limit = transport === 'tcp' ? TCP_MAX : Math.max(UDP_MIN, Math.min(q.edns ?? UDP_MIN, EDNS_SIZE));
    return { kind: 'answer', response: writeResponse(raw, q, d.rcode, d.answer, LOCAL_TTL, limit, EDNS_SIZE) };
  }
  let query: Packet;
  try {
    query = decode(raw);
  } catch {
    const response = headerOnly(raw, RCODE.FORMERR);
    return response ? { kind: 'answer', response } : { kind: 'ignore' };
  }
  if (query.type !== 'query') return { kind: 'ignore' };
  const limit = sizeLimit(query, transport);
  if ((raw.readUInt16BE(2) >> 11) & 0xf) return { kind: 'answer', response: reply(query, RCODE.NOTIMP, [], limit, false) };
  const [q1, ...more] = query.questions ?? [];
  if (!q1 || more.length) return { kind: 'answer', response: reply(query, RCODE.FORMERR, [], limit, false) };
  if (q1.class !== 'IN') return { kind: 'forward' };
  const d = decide(q1.name, TYPE[q1.type as keyof typeof TYPE] ?? 0, view, zone, random);
  if (d.kind === 'forward') return d;
  const answers: Answer[] =
    d.answer?.type === TYPE.A
      ? d.answer.addresses.text.map((data): Answer => ({ type: 'A', name: q1.name, ttl: LOCAL_TTL, class: 'IN', data }))
      : d.answer?.type === TYPE.PTR
        ? [{ type: 'PTR', name: q1.name, ttl: LOCAL_TTL, class: 'IN', data: d.answer.target }]
        : [];
  return { kind: 'answer', response: reply(query, d.rcode, answers, limit, true) };
}
