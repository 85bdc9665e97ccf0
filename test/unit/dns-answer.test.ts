// The resolver's answers, from query bytes to response bytes, without sockets.
import { type Packet, RECURSION_DESIRED, TRUNCATED_RESPONSE, decode, encode } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { RCODE, respond, statusResponse } from '../../src/dns/answer.js';
import type { DnsRecords, ResolverView } from '../../src/dns/records.js';
import { Zone } from '../../src/dns/zone.js';

const zone = new Zone({
  networks: {
    front: { names: { web: ['10.10.0.3'], www: ['10.10.0.3'], api: ['10.10.0.2'], pool: ['10.10.0.5', '10.10.0.6', '10.10.0.7'] }, ptr: { '10.10.0.3': 'web', '10.10.0.2': 'api' } },
    back: { names: { db: ['10.20.0.3'], api: ['10.20.0.2'] }, ptr: { '10.20.0.3': 'db' } },
  },
  endpoints: {},
});
const web: ResolverView = { netns: 'ns-web', networks: ['front'], upstreams: [{ address: '192.0.2.53', from: 'host' }], ndots: false };
const api: ResolverView = { ...web, netns: 'ns-api', networks: ['back', 'front'] };

const query = (name: string, type: string, extra: Partial<Packet> = {}): Buffer =>
  encode({ type: 'query', id: 4242, flags: RECURSION_DESIRED, questions: [{ name, type: type as 'A', class: 'IN' }], ...extra });

function ask(name: string, type = 'A', view = web, transport: 'udp' | 'tcp' = 'udp') {
  const o = respond(query(name, type), view, zone, transport, () => 0);
  return o.kind === 'answer' ? { kind: o.kind, packet: decode(o.response) } : { kind: o.kind };
}

const rcode = (p: Packet): string => (p as unknown as { rcode: string }).rcode;
const data = (p: Packet): unknown[] => (p.answers ?? []).map((a) => (a as { data: unknown }).data);

describe('respond', () => {
  it('answers A for an endpoint name, a hostname and name.network, case-insensitively, TTL 600, as an authoritative response to the same id', () => {
    for (const name of ['web', 'WWW', 'web.front', 'Web.Front']) {
      const { packet } = ask(name);
      expect(rcode(packet!), name).toBe('NOERROR');
      expect(data(packet!), name).toEqual(['10.10.0.3']);
      expect(packet!.id).toBe(4242);
      expect(packet!.answers?.[0]).toMatchObject({ type: 'A', name, ttl: 600 });
      expect((packet as unknown as { flag_aa: boolean; flag_rd: boolean; flag_ra: boolean }).flag_aa).toBe(true);
      expect((packet as unknown as { flag_rd: boolean }).flag_rd).toBe(true);
    }
  });

  it('answers only from the networks the asker shares: another network’s name is forwarded', () => {
    expect(ask('db', 'A', web)).toEqual({ kind: 'forward' });
    expect(data(ask('db', 'A', api).packet!)).toEqual(['10.20.0.3']);
    // A name on two of its networks: the first of them in name order.
    expect(data(ask('api', 'A', api).packet!)).toEqual(['10.20.0.2']);
    expect(data(ask('api.front', 'A', api).packet!)).toEqual(['10.10.0.2']);
  });

  it('NXDOMAIN for an unknown name in a network the asker shares; another network’s domain is forwarded', () => {
    expect(rcode(ask('nobody.front').packet!)).toBe('NXDOMAIN');
    expect(ask('db.back', 'A', web)).toEqual({ kind: 'forward' });
  });

  it('every address of a shared name, in a new order each time', () => {
    expect(data(ask('pool').packet!)).toEqual(['10.10.0.6', '10.10.0.7', '10.10.0.5']);
  });

  it('AAAA and MX of a known name: empty NOERROR (no IPv6 here); other types of it forwarded', () => {
    for (const type of ['AAAA', 'MX']) {
      const { packet } = ask('web', type);
      expect(rcode(packet!)).toBe('NOERROR');
      expect(packet!.answers).toEqual([]);
    }
    expect(ask('web', 'TXT')).toEqual({ kind: 'forward' });
  });

  it('PTR for an endpoint address as name.network; an unknown address is forwarded', () => {
    const { packet } = ask('3.0.10.10.in-addr.arpa', 'PTR');
    expect(packet!.answers?.[0]).toMatchObject({ type: 'PTR', name: '3.0.10.10.in-addr.arpa', data: 'web.front', ttl: 600 });
    expect(ask('3.0.20.10.in-addr.arpa', 'PTR', web)).toEqual({ kind: 'forward' });
    expect(ask('9.9.10.10.in-addr.arpa', 'PTR')).toEqual({ kind: 'forward' });
  });

  it('forwards names it does not know; with the user’s ndots an unknown single label is answered empty so the stub tries its search list', () => {
    expect(ask('example.org')).toEqual({ kind: 'forward' });
    expect(ask('printer')).toEqual({ kind: 'forward' });
    const tuned = { ...web, ndots: true };
    expect(rcode(ask('printer', 'A', tuned).packet!)).toBe('NOERROR');
    expect(ask('printer', 'A', tuned).packet!.answers).toEqual([]);
    expect(ask('example.org', 'A', tuned)).toEqual({ kind: 'forward' });
  });

  it('over UDP, an answer larger than the client takes is truncated (TC, no answers); over TCP it is whole', () => {
    const many = new Zone({ endpoints: {}, networks: { front: { names: { big: Array.from({ length: 60 }, (_, i) => `10.10.1.${i}`) }, ptr: {} } } } satisfies DnsRecords);
    const udp = respond(query('big', 'A'), web, many, 'udp');
    const tcp = respond(query('big', 'A'), web, many, 'tcp');
    if (udp.kind !== 'answer' || tcp.kind !== 'answer') throw new Error('expected answers');
    expect(udp.response.length).toBeLessThanOrEqual(512);
    expect(decode(udp.response).flags! & TRUNCATED_RESPONSE).toBeTruthy();
    expect(decode(udp.response).answers).toEqual([]);
    expect(decode(tcp.response).answers).toHaveLength(60);
    // With EDNS the client takes more, and is told what we take.
    const edns = respond(query('big', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] }), web, many, 'udp');
    if (edns.kind !== 'answer') throw new Error('expected an answer');
    expect(decode(edns.response).answers).toHaveLength(60);
    expect(decode(edns.response).additionals?.[0]).toMatchObject({ type: 'OPT', udpPayloadSize: 1232 });
  });

  it('refuses malformed and unsupported queries, ignores responses and scraps', () => {
    const two = encode({ type: 'query', id: 1, questions: [{ name: 'web', type: 'A', class: 'IN' }, { name: 'api', type: 'A', class: 'IN' }] });
    const o = respond(two, web, zone, 'udp');
    expect(o.kind === 'answer' && rcode(decode(o.response))).toBe('FORMERR');
    const notify = Buffer.from(query('web', 'A'));
    notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
    const n = respond(notify, web, zone, 'udp');
    expect(n.kind === 'answer' && rcode(decode(n.response))).toBe('NOTIMP');
    expect(respond(encode({ type: 'response', id: 1, questions: [] }), web, zone, 'udp')).toEqual({ kind: 'ignore' });
    expect(respond(Buffer.from([1, 2, 3]), web, zone, 'udp')).toEqual({ kind: 'ignore' });
    const garbage = Buffer.concat([query('web', 'A').subarray(0, 12), Buffer.from([0xff, 0xff])]);
    const g = respond(garbage, web, zone, 'udp');
    expect(g.kind).toBe('answer');
    expect(g.kind === 'answer' && g.response.readUInt16BE(0)).toBe(4242);
    expect(g.kind === 'answer' && g.response.readUInt16BE(2) & 0xf).toBe(RCODE.FORMERR);
  });

  it('answers a query it has to decode in full (here: a second additional record) as it answers the common one', () => {
    const extra = query('web.front', 'A', { additionals: [{ type: 'A', name: 'x', ttl: 1, class: 'IN', data: '192.0.2.1' }, { type: 'A', name: 'y', ttl: 1, class: 'IN', data: '192.0.2.2' }] });
    const general = respond(extra, web, zone, 'udp', () => 0);
    const common = respond(query('web.front', 'A'), web, zone, 'udp', () => 0);
    if (general.kind !== 'answer' || common.kind !== 'answer') throw new Error('expected answers');
    const { answers: a, flags: fa } = decode(general.response);
    const { answers: b, flags: fb } = decode(common.response);
    expect(a).toEqual(b);
    expect(fa).toBe(fb);
    const ptr = respond(encode({ type: 'query', id: 7, questions: [{ name: '3.0.10.10.in-addr.arpa', type: 'PTR', class: 'IN' }], additionals: [{ type: 'A', name: 'x', ttl: 1, class: 'IN', data: '192.0.2.1' }, { type: 'A', name: 'y', ttl: 1, class: 'IN', data: '192.0.2.2' }] }), web, zone, 'udp');
    expect(ptr.kind === 'answer' && decode(ptr.response).answers?.[0]).toMatchObject({ type: 'PTR', data: 'web.front' });
  });

  it('statusResponse: SERVFAIL after the upstreams failed, echoing the question', () => {
    const p = decode(statusResponse(query('example.org', 'A'), RCODE.SERVFAIL, 'udp')!);
    expect(rcode(p)).toBe('SERVFAIL');
    expect(p.id).toBe(4242);
    expect(p.questions).toEqual([{ name: 'example.org', type: 'A', class: 'IN' }]);
  });
});
