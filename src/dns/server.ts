// The DNS service, `wirestate dns`: one process for every endpoint of the host. It serves the
// records file reconcile writes, listens at 127.0.0.11:53 (UDP and TCP) inside each endpoint that
// has the resolver, answers from the records and forwards the rest (forwarder.ts). It reloads on
// request (control socket or SIGHUP), follows namespaces as they appear and disappear under
// /run/netns, and says what it serves in its status file, which observe reads.
import dgram from 'node:dgram';
import { type FSWatcher, readFileSync, renameSync, statSync, watch, writeFileSync } from 'node:fs';
import { isIPv6, Socket } from 'node:net';
import type net from 'node:net';
import { NetnsSocketError, type NetnsSockets } from '../kernel/nssockets.js';
import type { ServicePaths } from '../store/run-dir.js';
import { RCODE, type Transport, respond, statusResponse } from './answer.js';
import type { ControlRequest, ServiceStatus } from './control.js';
import { type SocketSource, forward } from './forwarder.js';
import { Listeners } from './listeners.js';
import { type DnsRecords, type ResolverView, parseRecords, recordsDigest } from './records.js';
import { Zone } from './zone.js';

/** Docker's limit of concurrent forwards per endpoint; past it a query is REFUSED. */
const MAX_FORWARDS = 1024;
const NETNS_DIR = '/run/netns';
/** Namespace changes come in bursts (a pass creating a hundred): look once the burst is over. */
const WATCH_SETTLE_MS = 50;

const netnsPath = (netns: string): string => (netns.includes('/') ? netns : `${NETNS_DIR}/${netns}`);

function inode(netns: string): number | undefined {
  try {
    return statSync(netnsPath(netns)).ino;
  } catch {
    return undefined;
  }
}

export class DnsService {
  private records: DnsRecords = { networks: {}, endpoints: {} };
  private zone = new Zone(this.records);
  private views = new Map<string, ResolverView>();
  private digest = '';
  private recordsProblem: string | undefined;
  private readonly problems = new Map<string, string>();
  /** Let go of until the next reload: their namespaces are about to be deleted. */
  private readonly released = new Set<string>();
  private readonly forwards = new Map<string, number>();
  private readonly listeners: Listeners;
  private readonly source: SocketSource;
  private watcher: FSWatcher | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  /** One sync at a time: a reload and a namespace event must not open the same sockets twice. */
  private syncing: Promise<void> = Promise.resolve();
  /** The status file as last written: rewritten only when it changes. */
  private written = '';

  constructor(
    private readonly paths: ServicePaths,
    sockets: NetnsSockets,
    private readonly log: (line: string) => void,
  ) {
    this.listeners = new Listeners(sockets, (netns, query, transport) => this.query(netns, query, transport));
    this.source = {
      udp: (up, view) => (up.from === 'host' ? dgram.createSocket(isIPv6(up.address) ? 'udp6' : 'udp4') : sockets.udp(view.netns)),
      tcp: (up, view): net.Socket | Promise<net.Socket> => (up.from === 'host' ? new Socket() : sockets.tcp(view.netns)),
    };
  }

  private query(netns: string, raw: Buffer, transport: Transport): Buffer | undefined | Promise<Buffer | undefined> {
    const view = this.views.get(netns);
    if (!view) return undefined;
    const outcome = respond(raw, view, this.zone, transport);
    if (outcome.kind === 'answer') return outcome.response;
    if (outcome.kind === 'ignore') return undefined;
    const busy = this.forwards.get(netns) ?? 0;
    if (busy >= MAX_FORWARDS) return statusResponse(raw, RCODE.REFUSED, transport);
    this.forwards.set(netns, busy + 1);
    return forward(raw, view, transport, this.source)
      .then((response) => response ?? statusResponse(raw, RCODE.SERVFAIL, transport))
      .finally(() => this.forwards.set(netns, (this.forwards.get(netns) ?? 1) - 1));
  }

  /** Reads the records file again and listens where it says, nowhere else. */
  async reload(): Promise<ServiceStatus> {
    try {
      const content = readFileSync(this.paths.records, 'utf8');
      this.records = parseRecords(content);
      this.zone = new Zone(this.records);
      this.digest = recordsDigest(content);
      this.recordsProblem = undefined;
    } catch (e) {
      // Keep serving what was loaded; say why the new file was not taken.
      this.recordsProblem = `records ${this.paths.records}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message}`;
    }
    this.views = new Map(Object.values(this.records.endpoints).map((v) => [v.netns, v]));
    this.released.clear();
    await this.sync();
    this.log(`loaded ${this.digest || 'no records'}: ${this.listeners.size} endpoints${this.problemList().length ? `; ${this.problemList().join('; ')}` : ''}`);
    return this.status();
  }

  /** Closes the sockets in these namespaces now, before reconcile deletes them. */
  release(netns: string[]): ServiceStatus {
    for (const n of netns) {
      this.released.add(n);
      this.listeners.remove(n);
      this.problems.delete(n);
    }
    this.writeStatus();
    return this.status();
  }

  private sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncNow());
    return this.syncing;
  }

  private async syncNow(): Promise<void> {
    for (const netns of this.listeners.netns()) if (!this.views.has(netns) || this.released.has(netns)) this.listeners.remove(netns);
    this.problems.clear();
    const opening: Promise<void>[] = [];
    for (const netns of this.views.keys()) {
      if (this.released.has(netns)) continue;
      const ino = inode(netns);
      if (ino !== undefined && this.listeners.ino(netns) === ino) continue;
      // Gone, or deleted and made again under the same name: these sockets are in no namespace anyone uses.
      this.listeners.remove(netns);
      if (ino === undefined) {
        this.problems.set(netns, `network namespace ${netns} does not exist`);
        continue;
      }
      opening.push(
        this.listeners.add(netns).catch((e: unknown) => {
          this.problems.set(netns, e instanceof NetnsSocketError ? e.message : `network namespace ${netns}: ${(e as Error).message}`);
        }),
      );
    }
    await Promise.all(opening);
    this.writeStatus();
  }

  /** Follows /run/netns: a namespace deleted by hand has its sockets closed at once (else it would live on), a new one is listened in. */
  watchNamespaces(): void {
    try {
      this.watcher = watch(NETNS_DIR, (_event, name) => {
        // Other namespaces come and go all the time on a busy host: only ours are worth a look.
        if (name !== null && !this.views.has(name)) return;
        clearTimeout(this.watchTimer);
        this.watchTimer = setTimeout(() => void this.sync(), WATCH_SETTLE_MS);
      });
      this.watcher.on('error', (e) => this.log(`stopped watching ${NETNS_DIR}: ${e.message}`));
    } catch (e) {
      this.log(`cannot watch ${NETNS_DIR} (${(e as Error).message}): namespace changes are picked up at the next reload only`);
    }
  }

  private problemList(): string[] {
    return [...(this.recordsProblem ? [this.recordsProblem] : []), ...[...this.problems.values()].sort()];
  }

  status(): ServiceStatus {
    return { pid: process.pid, digest: this.digest, problems: this.problemList(), serving: this.listeners.size };
  }

  private writeStatus(): void {
    const text = `${JSON.stringify(this.status())}\n`;
    if (text === this.written) return;
    const tmp = `${this.paths.status}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.paths.status);
    this.written = text;
  }

  async control(request: ControlRequest): Promise<ServiceStatus> {
    switch (request.op) {
      case 'reload':
        return this.reload();
      case 'release':
        return this.release(request.netns);
      case 'status':
        return this.status();
    }
  }

  close(): void {
    clearTimeout(this.watchTimer);
    this.watcher?.close();
    this.listeners.closeAll();
  }
}
