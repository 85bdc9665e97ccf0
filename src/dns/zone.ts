// The records as the resolver looks them up: Maps built once per reload (a plain object of a
// thousand names made V8 intern every asked name to look it up), addresses already in wire form.
// Pure.
import type { DnsRecords } from './records.js';

/** A name's addresses, as text and as the four bytes an A record carries, in the same order. */
export interface Addresses {
  text: string[];
  bytes: Uint8Array[];
}

const bytesOf = (ip: string): Uint8Array => Uint8Array.from(ip.split('.').map(Number));

export class Zone {
  private readonly names = new Map<string, Map<string, Addresses>>();
  private readonly ptrs = new Map<string, Map<string, string>>();

  constructor(records: DnsRecords) {
    for (const [net, r] of Object.entries(records.networks)) {
      this.names.set(net, new Map(Object.entries(r.names).map(([name, text]) => [name, { text, bytes: text.map(bytesOf) }])));
      this.ptrs.set(net, new Map(Object.entries(r.ptr)));
    }
  }

  /** `name` (lower case) on network `net`. */
  find(net: string, name: string): Addresses | undefined {
    return this.names.get(net)?.get(name);
  }

  /** The endpoint name an address on `net` belongs to. */
  ptr(net: string, address: string): string | undefined {
    return this.ptrs.get(net)?.get(address);
  }
}
