// Sockets inside other network namespaces, for the one DNS service process: nssockets.py opens
// them there (setns) and hands them over Node's IPC channel. Node cannot setns(2), and a Node
// child per namespace costs ~60 ms against ~1 ms here (see the script).
import { type ChildProcess, spawn } from 'node:child_process';
import type dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './nsdump.js';
import { MissingToolError } from './run.js';

/** Next to this module: src/kernel/ from source, dist/ in the bundle (scripts/bundle.mjs copies it). */
const SCRIPT = fileURLToPath(new URL('./nssockets.py', import.meta.url));

/** The UDP and TCP listeners at 127.0.0.11:53 of one namespace, and the namespace's inode (its identity). */
export interface ResolverSockets {
  udp: dgram.Socket;
  tcp: net.Server;
  ino: number;
}

export class NetnsSocketError extends Error {
  /** True when the namespace does not exist (yet, or any more). */
  constructor(
    message: string,
    readonly missing: boolean,
  ) {
    super(message);
    this.name = 'NetnsSocketError';
  }
}

interface Reply {
  id: number;
  part?: 'udp' | 'tcp';
  done?: boolean;
  ino?: number;
  error?: string;
  missing?: boolean;
}

interface Pending {
  parts: { udp?: unknown; tcp?: unknown };
  resolve: (r: { parts: Pending['parts']; ino: number }) => void;
  reject: (e: Error) => void;
}

/** Closes whatever handle Node built for a received descriptor. */
const closeHandle = (h: unknown): void => (h as { close?: () => void } | undefined)?.close?.();

export class NetnsSockets {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = '';
  private failure: Error | undefined;

  constructor() {
    // -I: no PYTHON* variables, user site or cwd on sys.path (we run as root); -S: no site, faster start.
    this.child = spawn(PYTHON, ['-I', '-S', SCRIPT], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-2000)));
    this.child.on('message', (msg: Reply, handle: unknown) => this.onReply(msg, handle));
    this.child.on('error', (e: NodeJS.ErrnoException) => this.fail(e.code === 'ENOENT' ? new MissingToolError('python3') : e));
    this.child.on('exit', (code, signal) => this.fail(new Error(`${PYTHON} ${SCRIPT} exited (${signal ?? code}): ${this.stderr.trim() || 'no message'}`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  private onReply(msg: Reply, handle: unknown): void {
    const p = this.pending.get(msg.id);
    if (!p) {
      closeHandle(handle);
      return;
    }
    if (msg.part) p.parts[msg.part] = handle;
    else if (msg.done) {
      this.pending.delete(msg.id);
      p.resolve({ parts: p.parts, ino: msg.ino ?? 0 });
    } else if (msg.error !== undefined) {
      this.pending.delete(msg.id);
      closeHandle(p.parts.udp);
      closeHandle(p.parts.tcp);
      p.reject(new NetnsSocketError(msg.error, msg.missing === true));
    }
  }

  private request(op: 'listen' | 'udp' | 'tcp', netns: string): Promise<{ parts: Pending['parts']; ino: number }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { parts: {}, resolve, reject });
      this.child.send({ id, op, netns });
    });
  }

  /** UDP and TCP listening at 127.0.0.11:53 inside `netns` (a name under /run/netns or a path). */
  async listen(netns: string): Promise<ResolverSockets> {
    const { parts, ino } = await this.request('listen', netns);
    return { udp: parts.udp as dgram.Socket, tcp: parts.tcp as net.Server, ino };
  }

  /** A UDP socket on a free port inside `netns`, to send a forwarded query from there. */
  async udp(netns: string): Promise<dgram.Socket> {
    return (await this.request('udp', netns)).parts.udp as dgram.Socket;
  }

  /** An unconnected TCP socket inside `netns`; connect() it. */
  async tcp(netns: string): Promise<net.Socket> {
    const { parts } = await this.request('tcp', netns);
    // Node's documented options have no `handle`, but net.Socket adopts one given there (as IPC does).
    return new net.Socket({ handle: parts.tcp } as net.SocketConstructorOpts);
  }

  /** Ends the helper (it exits when its channel closes). */
  close(): void {
    this.child.removeAllListeners('exit');
    this.fail(new Error('closed'));
    if (this.child.connected) this.child.disconnect();
    this.child.kill('SIGTERM');
  }
}
