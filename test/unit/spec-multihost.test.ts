// The spec's rules for overlay and macvlan networks and for hosts, with the exact messages people see.
import { describe, expect, it } from 'vitest';
import { errorsOf } from '../fixtures/spec/load-helper.js';

const HOSTS = 'hosts:\n  a: { address: 192.0.2.11 }\n  b: { address: 192.0.2.12 }\n';

describe('overlay networks', () => {
  it('accepts a complete one', async () => {
    expect(
      await errorsOf(`${HOSTS}networks:\n  o: { driver: overlay, subnet: 10.0.9.0/24, vni: 5000, port: 4790, encrypted: true, keyFile: o.key }\nendpoints:\n  e: { host: a, networks: [o] }\n`),
    ).toEqual([]);
  });

  it('wants a subnet and hosts', async () => {
    expect(await errorsOf('networks:\n  o: { driver: overlay }\n')).toEqual([
      'a.yaml:2:3: networks.o: an overlay network needs a subnet: every host must agree on its addresses',
      'a.yaml:2:16: networks.o.driver: an overlay network spans the hosts declared under hosts:, and there are none',
    ]);
  });

  it('refuses a VNI another overlay already has', async () => {
    expect(await errorsOf(`${HOSTS}networks:\n  o: { driver: overlay, subnet: 10.0.9.0/24, vni: 5000 }\n  p: { driver: overlay, subnet: 10.0.8.0/24, vni: 5000 }\n`)).toEqual([
      'a.yaml:6:51: networks.p.vni: VNI 5000 is already used by network "o" (a.yaml:5:51)',
    ]);
  });

  it('wants encryption and its key file together, and the firewall for it', async () => {
    expect(
      await errorsOf(`${HOSTS}networks:\n  o: { driver: overlay, subnet: 10.0.9.0/24, encrypted: true }\n  p: { driver: overlay, subnet: 10.0.8.0/24, keyFile: p.key }\n  q: { driver: overlay, subnet: 10.0.7.0/24, encrypted: true, keyFile: q.key }\nsettings: { iptables: false }\n`),
    ).toEqual([
      'a.yaml:5:57: networks.o.encrypted: an encrypted overlay needs keyFile: the file holding its keys',
      'a.yaml:5:57: networks.o.encrypted: encryption needs the firewall to refuse unencrypted traffic, and settings.iptables is false',
      'a.yaml:6:55: networks.p.keyFile: keyFile is read only when encrypted is true',
      'a.yaml:7:57: networks.q.encrypted: encryption needs the firewall to refuse unencrypted traffic, and settings.iptables is false',
    ]);
  });

  it('wants every endpoint on an overlay to name its host', async () => {
    expect(await errorsOf(`${HOSTS}networks:\n  o: { driver: overlay, subnet: 10.0.9.0/24 }\nendpoints:\n  e: { networks: [o] }\n`)).toEqual([
      'a.yaml:7:3: endpoints.e: is on overlay network "o", so it must name its host (host: one of a, b)',
    ]);
  });

  it('keeps bridge-only settings off it, and its own off bridges', async () => {
    expect(await errorsOf(`${HOSTS}networks:\n  o: { driver: overlay, subnet: 10.0.9.0/24, icc: false }\n  b: { vni: 5000, port: 4790 }\n`)).toEqual([
      "a.yaml:5:51: networks.o.icc: only the bridge driver uses icc; this network's driver is overlay",
      "a.yaml:6:13: networks.b.vni: only the overlay driver uses vni; this network's driver is bridge",
      "a.yaml:6:25: networks.b.port: only the overlay driver uses port; this network's driver is bridge",
    ]);
  });

  it('reserves the gateway bridge name', async () => {
    expect(await errorsOf('networks:\n  ws_gwbridge: {}\n')).toEqual(['a.yaml:2:3: networks.ws_gwbridge: "ws_gwbridge" is reserved for the gateway bridge of overlay networks; choose another name']);
  });

  it('lets endpoints on different hosts publish the same host port', async () => {
    expect(
      await errorsOf(`${HOSTS}networks:\n  o: { driver: overlay, subnet: 10.0.9.0/24 }\nendpoints:\n  e: { host: a, networks: [o], ports: ["80:80"] }\n  f: { host: b, networks: [o], ports: ["80:80"] }\n  g: { host: b, networks: [o], ports: ["80:81"] }\n`),
    ).toEqual(['a.yaml:9:40: endpoints.g.ports[0]: host port 0.0.0.0:80/tcp is already published by endpoint "f" (a.yaml:8:40)']);
  });
});

describe('hosts', () => {
  it('refuses two hosts with one address', async () => {
    expect(await errorsOf('hosts:\n  a: { address: 192.0.2.11 }\n  b: { address: 192.0.2.11 }\n')).toEqual([
      'a.yaml:3:17: hosts.b.address: 192.0.2.11 is already the address of host "a" (a.yaml:2:17)',
    ]);
  });
});

describe('macvlan networks', () => {
  it('accepts a parent, a VLAN parent, a mode, and no parent at all', async () => {
    expect(
      await errorsOf('networks:\n  a: { driver: macvlan, parent: eth0, subnet: 10.1.0.0/24, mode: vepa }\n  b: { driver: macvlan, parent: eth0.10, subnet: 10.2.0.0/24 }\n  c: { driver: macvlan, subnet: 10.3.0.0/24 }\n'),
    ).toEqual([]);
  });

  it('refuses parents macvlan cannot sit on', async () => {
    expect(
      await errorsOf(
        'networks:\n  a: { driver: macvlan, parent: lo, subnet: 10.1.0.0/24 }\n  b: { driver: macvlan, parent: eth0.5000, subnet: 10.2.0.0/24 }\n  c: { driver: macvlan, parent: averyveryverylongname, subnet: 10.3.0.0/24 }\n  d: { driver: macvlan, parent: "eth 0", subnet: 10.4.0.0/24 }\n',
      ),
    ).toEqual([
      'a.yaml:2:33: networks.a.parent: "lo" cannot be a macvlan parent',
      'a.yaml:3:33: networks.b.parent: "eth0.5000": VLAN id 5000 is outside 1–4094',
      'a.yaml:4:33: networks.c.parent: "averyveryverylongname" is 21 characters; Linux interface names are at most 15',
      'a.yaml:5:33: networks.d.parent: "eth 0" is not a valid interface name (letters, digits, "_", "." and "-", starting with a letter or digit)',
    ]);
  });

  it('wants a subnet, and keeps bridge settings off it', async () => {
    expect(await errorsOf('networks:\n  a: { driver: macvlan, parent: eth0, icc: true }\n')).toEqual([
      'a.yaml:2:3: networks.a: a macvlan network needs a subnet: the one of the network its endpoints are on',
      "a.yaml:2:44: networks.a.icc: only the bridge driver uses icc; this network's driver is macvlan",
    ]);
  });

  it('gives a passthru network its parent whole: no other network on it, one endpoint per host', async () => {
    expect(
      await errorsOf(
        'networks:\n  a: { driver: macvlan, parent: eth0, subnet: 10.1.0.0/24, mode: passthru }\n  b: { driver: macvlan, parent: eth0, subnet: 10.2.0.0/24 }\nendpoints:\n  e: { networks: [a] }\n  f: { networks: [a] }\n',
      ),
    ).toEqual([
      'a.yaml:3:33: networks.b.parent: parent "eth0" is taken whole by passthru network "a" (a.yaml:2:66)',
      'a.yaml:6:19: endpoints.f.networks.a: passthru network "a" takes one endpoint per host, and endpoint "e" is already on it',
    ]);
  });
});
