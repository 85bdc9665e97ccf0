// The resolver's sockets at 127.0.0.11:53 inside endpoint namespaces, UDP and TCP, each handing
// its queries to one handler. Opened through the setns helper; closed before the namespace goes,
// since an open socket keeps a deleted namespace (and the veth in it) alive.
import type dgram from 'node:dgram';
import type net from 'node:net';
import type { NetnsSockets } from '../kernel/nssockets.js';
import type { Transport } from './answer.js';

/** The response to send back, if any; a promise when it has to be forwarded first. */
export type QueryHandler = (netns: string, query: Buffer, transport: Transport) => Buffer | undefined | Promise<Buffer | undefined>;

/** An idle TCP client is dropped after this long. */
const TCP_IDLE_MS = 10_000;
const TCP_MAX_CONNECTIONS = 64;

interface Listener {
  udp: dgram.Socket;
  tcp: net.Server;
  /** The namespace's inode when the sockets were opened: a namespace of the same name made later is another one. */
  ino: number;
  connections: Set<net.Socket>;
}

function whenReady(response: Buffer | undefined | Promise<Buffer | undefined>, send: (b: Buffer) => void): void {
  if (response instanceof Promise) response.then((r) => r && send(r), () => undefined);
  else if (response) send(response);
}

export class Listeners {
  private readonly open = new Map<string, Listener>();

  constructor(
    private readonly sockets: NetnsSockets,
    private readonly handle: QueryHandler,
  ) {}

  get size(): number {
    return this.open.size;
  }

  netns(): string[] {
    return [...this.open.keys()];
  }

  ino(netns: string): number | undefined {
    return this.open.get(netns)?.ino;
  }

  /** Listens in `netns`; throws NetnsSocketError when it cannot. */
  async add(netns: string): Promise<void> {
    const { udp, tcp, ino } = await this.sockets.listen(netns);
    const listener: Listener = { udp, tcp, ino, connections: new Set() };
    this.remove(netns);
    this.open.set(netns, listener);
    udp.on('message', (msg, rinfo) => whenReady(this.handle(netns, msg, 'udp'), (r) => udp.send(r, rinfo.port, rinfo.address)));
    // A send to a client that went away: nothing to do about it.
    udp.on('error', () => undefined);
    tcp.maxConnections = TCP_MAX_CONNECTIONS;
    tcp.on('connection', (conn) => this.serveTcp(netns, conn, listener));
    tcp.on('error', () => undefined);
  }

  /** DNS over TCP: two-byte length, message; several queries per connection, answered as they complete. */
  private serveTcp(netns: string, conn: net.Socket, listener: Listener): void {
    listener.connections.add(conn);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('close', () => listener.connections.delete(conn));
    conn.on('error', () => conn.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    conn.on('data', (d: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, d]) : d;
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const query = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + query.length);
        whenReady(this.handle(netns, query, 'tcp'), (r) => {
          if (conn.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(r.length);
          conn.write(Buffer.concat([head, r]));
        });
      }
    });
  }

  remove(netns: string): void {
    const l = this.open.get(netns);
    if (!l) return;
    this.open.delete(netns);
    l.udp.close();
    l.tcp.close();
    for (const c of l.connections) c.destroy();
  }

  closeAll(): void {
    for (const netns of this.netns()) this.remove(netns);
  }
}
