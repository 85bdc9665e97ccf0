// Forwarding a query the records cannot answer: to each upstream in turn, over the transport the
// client used, from the namespace Docker dials it from (the host's resolvers from the host, the
// endpoint's `dns` servers from the endpoint). One socket per attempt, connected, so an ICMP
// "port unreachable" fails over at once instead of after the timeout.
import type dgram from 'node:dgram';
import type net from 'node:net';
import type { Transport } from './answer.js';
import type { ResolverView, Upstream } from './records.js';

/** Per attempt; Docker waits 4 s (extIOTimeout). Three upstreams at most, so 6 s in the worst case. */
export const UPSTREAM_TIMEOUT_MS = 2000;
const DNS_PORT = 53;
const RCODE_SERVFAIL = 2;
const RCODE_REFUSED = 5;

/** Where sockets come from: the host's namespace (this process's), or an endpoint's. */
export interface SocketSource {
  udp(up: Upstream, view: ResolverView): Promise<dgram.Socket> | dgram.Socket;
  tcp(up: Upstream, view: ResolverView): Promise<net.Socket> | net.Socket;
}

const rcodeOf = (response: Buffer): number => response.readUInt16BE(2) & 0xf;
const answers = (response: Buffer, query: Buffer): boolean => response.length >= 12 && response.readUInt16BE(0) === query.readUInt16BE(0) && (response[2]! & 0x80) !== 0;

function withTimeout<T>(work: (settle: (result: T | Error) => void) => () => void, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let cleanup = (): void => {};
    const timer = setTimeout(() => settle(new Error('timed out')), ms);
    const settle = (result: T | Error): void => {
      clearTimeout(timer);
      cleanup();
      cleanup = () => {};
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    cleanup = work(settle);
  });
}

async function overUdp(query: Buffer, up: Upstream, view: ResolverView, source: SocketSource, ms: number): Promise<Buffer> {
  const socket = await source.udp(up, view);
  return withTimeout<Buffer>((settle) => {
    socket.on('error', (e) => settle(e));
    socket.on('message', (msg) => {
      if (answers(msg, query)) settle(msg);
    });
    // A connect that fails (no route from that namespace) calls back with the error, disconnected.
    socket.connect(DNS_PORT, up.address, (e?: Error) => (e ? settle(e) : socket.send(query, (err) => err && settle(err))));
    return () => socket.close();
  }, ms);
}

async function overTcp(query: Buffer, up: Upstream, view: ResolverView, source: SocketSource, ms: number): Promise<Buffer> {
  const socket = await source.tcp(up, view);
  return withTimeout<Buffer>((settle) => {
    let received = Buffer.alloc(0);
    socket.on('error', (e) => settle(e));
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length >= length + 2) settle(received.subarray(2, 2 + length));
    });
    socket.on('end', () => settle(new Error('connection closed before an answer')));
    const frame = Buffer.alloc(2 + query.length);
    frame.writeUInt16BE(query.length, 0);
    query.copy(frame, 2);
    socket.connect(DNS_PORT, up.address, () => socket.write(frame));
    return () => socket.destroy();
  }, ms);
}

/**
 * The first upstream answer that is not SERVFAIL or REFUSED (NXDOMAIN is an answer), as Docker
 * does; undefined when every upstream failed or there is none.
 */
export async function forward(query: Buffer, view: ResolverView, transport: Transport, source: SocketSource, ms = UPSTREAM_TIMEOUT_MS): Promise<Buffer | undefined> {
  for (const up of view.upstreams) {
    try {
      const response = await (transport === 'tcp' ? overTcp : overUdp)(query, up, view, source, ms);
      const rcode = rcodeOf(response);
      if (rcode !== RCODE_SERVFAIL && rcode !== RCODE_REFUSED) return response;
    } catch {
      // timed out, refused, unreachable: the next one
    }
  }
  return undefined;
}
