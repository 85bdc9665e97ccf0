import { describe, expect, it } from 'vitest';
import { errorsOf, load } from '../fixtures/spec/load-helper.js';

describe('networks', () => {
  it('reserves the built-in names', async () => {
    expect(await errorsOf('networks:\n  bridge: {}\n  host:\n  none: {}\n')).toEqual([
      'a.yaml:2:3: networks.bridge: "bridge" is reserved for the built-in network; choose another name',
      'a.yaml:3:3: networks.host: "host" is reserved for the built-in network; choose another name',
      'a.yaml:4:3: networks.none: "none" is reserved for the built-in network; choose another name',
    ]);
  });

  it('refuses drivers that are not built yet', async () => {
    expect(await errorsOf('networks:\n  c: {driver: cni}\n  d: {driver: bridge}\n')).toEqual(['a.yaml:2:15: networks.c.driver: driver "cni" is not supported yet']);
  });

  it('refuses fields of another driver on a bridge network', async () => {
    expect(await errorsOf('networks:\n  a:\n    encrypted: true\n    parent: eth0\n')).toEqual([
      "a.yaml:3:16: networks.a.encrypted: only the overlay driver uses encrypted; this network's driver is bridge",
      "a.yaml:4:13: networks.a.parent: only the macvlan driver uses parent; this network's driver is bridge",
    ]);
  });
});

describe('addresses', () => {
  it('flags host bits and offers the network address', async () => {
    expect(await errorsOf('networks:\n  a:\n    subnet: 10.0.0.5/24\n    ipRange: 10.0.0.129/25\n')).toEqual([
      'a.yaml:3:13: networks.a.subnet: "10.0.0.5/24" has host bits set; did you mean 10.0.0.0/24?',
      'a.yaml:4:14: networks.a.ipRange: "10.0.0.129/25" has host bits set; did you mean 10.0.0.128/25?',
    ]);
  });

  it('wants room for a gateway and an endpoint', async () => {
    expect(await errorsOf('networks:\n  a: {subnet: 10.0.0.0/31}\n  b: {subnet: 10.0.1.0/30}\n')).toEqual([
      'a.yaml:2:15: networks.a.subnet: "10.0.0.0/31" is too small; a network needs a /30 or larger',
    ]);
  });

  it('keeps the gateway a usable address of the subnet', async () => {
    expect(
      await errorsOf(`networks:
  a: {subnet: 10.0.0.0/24, gateway: 10.0.1.1}
  b: {subnet: 10.0.2.0/24, gateway: 10.0.2.0}
  c: {subnet: 10.0.3.0/24, gateway: 10.0.3.255}
  d: {subnet: 10.0.4.0/24, gateway: 10.0.4.254}
  e: {gateway: 10.0.5.1}
`),
    ).toEqual([
      'a.yaml:2:37: networks.a.gateway: "10.0.1.1" is not in subnet 10.0.0.0/24',
      'a.yaml:3:37: networks.b.gateway: "10.0.2.0" is the network address of 10.0.2.0/24',
      'a.yaml:4:37: networks.c.gateway: "10.0.3.255" is the broadcast address of 10.0.3.0/24',
      'a.yaml:6:16: networks.e.gateway: set networks.e.subnet to choose a gateway',
    ]);
  });

  it('keeps ipRange inside the subnet', async () => {
    expect(
      await errorsOf('networks:\n  a: {subnet: 10.0.0.0/24, ipRange: 10.0.1.0/25}\n  b: {ipRange: 10.0.2.0/25}\n  c: {subnet: 10.0.3.0/24, ipRange: 10.0.3.128/25}\n'),
    ).toEqual([
      'a.yaml:2:37: networks.a.ipRange: "10.0.1.0/25" is not inside subnet 10.0.0.0/24',
      'a.yaml:3:16: networks.b.ipRange: set networks.b.subnet to use ipRange',
    ]);
  });

  it('checks the default bridge and the address pools', async () => {
    expect(
      await errorsOf(`settings:
  defaultBridge:
    subnet: 192.168.5.1/24
    gateway: 192.168.6.1
  defaultAddressPools:
    - {base: 10.10.0.0/24, size: 16}
    - {base: 10.20.0.7/16, size: 24}
`),
    ).toEqual([
      'a.yaml:3:13: settings.defaultBridge.subnet: "192.168.5.1/24" has host bits set; did you mean 192.168.5.0/24?',
      'a.yaml:4:14: settings.defaultBridge.gateway: "192.168.6.1" is not in subnet 192.168.5.0/24',
      'a.yaml:6:34: settings.defaultAddressPools[0].size: must be at least 24, the prefix of base 10.10.0.0/24',
      'a.yaml:7:14: settings.defaultAddressPools[1].base: "10.20.0.7/16" has host bits set; did you mean 10.20.0.0/16?',
    ]);
  });

  it('flags host bits in port source ranges', async () => {
    expect(await errorsOf('endpoints:\n  e:\n    ports:\n      - {target: 80, allowFrom: [10.0.0.1/8, 192.0.2.7/32]}\n')).toEqual([
      'a.yaml:4:34: endpoints.e.ports[0].allowFrom[0]: "10.0.0.1/8" has host bits set; did you mean 10.0.0.0/8?',
    ]);
  });
});

describe('overlapping subnets', () => {
  it('names the other network and where it is declared', async () => {
    const { messages } = await load({
      'a.yaml': 'networks:\n  a: {subnet: 10.0.0.0/24}\n',
      'b.yaml': 'networks:\n  b: {subnet: 10.0.0.0/16}\n  c: {subnet: 10.1.0.0/16}\n',
    });
    expect(messages).toEqual(['b.yaml:2:15: networks.b.subnet: "10.0.0.0/16" overlaps 10.0.0.0/24 of network "a" (a.yaml:2:15)']);
  });

  it('includes the default bridge, at its default or written subnet', async () => {
    expect(await errorsOf('networks:\n  a: {subnet: 172.17.5.0/24}\n')).toEqual([
      'a.yaml:2:15: networks.a.subnet: "172.17.5.0/24" overlaps 172.17.0.0/16 of the default bridge (the default; settings.defaultBridge.subnet changes it)',
    ]);
    expect(await errorsOf('networks:\n  a: {subnet: 192.168.0.0/16}\nsettings:\n  defaultBridge: {subnet: 192.168.1.0/24}\n')).toEqual([
      'a.yaml:2:15: networks.a.subnet: "192.168.0.0/16" overlaps 192.168.1.0/24 of the default bridge (a.yaml:4:27)',
    ]);
  });

  it('leaves the default bridge out when it is disabled', async () => {
    expect(await errorsOf('networks:\n  a: {subnet: 172.17.5.0/24}\nsettings:\n  defaultBridge: {enabled: false}\n')).toEqual([]);
  });
});

describe('bridge names', () => {
  it('keeps kernel names within 15 characters', async () => {
    expect(
      await errorsOf(`networks:
  a: {bridge: br-frontend-long}
  b:
    options: {com.docker.network.bridge.name: br-backend-longer}
settings:
  defaultBridge: {name: wirestate-default}
`),
    ).toEqual([
      'a.yaml:2:15: networks.a.bridge: "br-frontend-long" is 16 characters; Linux interface names are at most 15',
      'a.yaml:4:47: networks.b.options["com.docker.network.bridge.name"]: "br-backend-longer" is 17 characters; Linux interface names are at most 15',
      'a.yaml:6:25: settings.defaultBridge.name: "wirestate-default" is 17 characters; Linux interface names are at most 15',
    ]);
  });

  it('checks the option name like the field', async () => {
    expect(await errorsOf('networks:\n  a:\n    options: {com.docker.network.bridge.name: "br 0"}\n')).toEqual([
      'a.yaml:3:47: networks.a.options["com.docker.network.bridge.name"]: "br 0" is not a valid interface name (letters, digits, "_", "." and "-", starting with a letter or digit)',
    ]);
  });

  it('gives each network its own bridge', async () => {
    expect(
      await errorsOf(`networks:
  a: {bridge: br0}
  b:
    options: {com.docker.network.bridge.name: br0}
  c: {bridge: wirestate0}
`),
    ).toEqual([
      'a.yaml:4:47: networks.b.options["com.docker.network.bridge.name"]: "br0" is already the bridge of network "a" (a.yaml:2:15)',
      'a.yaml:5:15: networks.c.bridge: "wirestate0" is already the name of the default bridge (the default name)',
    ]);
  });
});

describe('com.docker.network options', () => {
  it('rejects unknown ones and accepts other prefixes', async () => {
    expect(
      await errorsOf('networks:\n  a:\n    options:\n      com.docker.network.bridge.inhibit_ipv4: "true"\n      com.example.owner: me\n'),
    ).toEqual([
      'a.yaml:4:47: networks.a.options["com.docker.network.bridge.inhibit_ipv4"]: unknown option; known com.docker.network.* options are bridge.name, bridge.enable_icc, bridge.enable_ip_masquerade, bridge.host_binding_ipv4, driver.mtu',
    ]);
  });

  it('reads values as Docker does', async () => {
    expect(
      await errorsOf(`networks:
  a:
    options:
      com.docker.network.bridge.enable_icc: "yes"
      com.docker.network.bridge.enable_ip_masquerade: "False"
      com.docker.network.driver.mtu: "9000x"
      com.docker.network.bridge.host_binding_ipv4: 127.0.0.300
      com.docker.network.bridge.name: 7
`),
    ).toEqual([
      'a.yaml:4:45: networks.a.options["com.docker.network.bridge.enable_icc"]: "yes" must be "true" or "false"',
      'a.yaml:6:38: networks.a.options["com.docker.network.driver.mtu"]: "9000x" must be an MTU from 68 to 65535',
      'a.yaml:7:52: networks.a.options["com.docker.network.bridge.host_binding_ipv4"]: "127.0.0.300" is not an IPv4 address',
      'a.yaml:8:39: networks.a.options["com.docker.network.bridge.name"]: 7 must be a string',
    ]);
  });

  it('refuses an option that contradicts its field', async () => {
    expect(
      await errorsOf(`networks:
  a:
    icc: false
    masquerade: true
    mtu: 1400
    bridge: br-a
    hostBindingIPv4: 127.0.0.1
    options:
      com.docker.network.bridge.enable_icc: "true"
      com.docker.network.bridge.enable_ip_masquerade: true
      com.docker.network.driver.mtu: 1500
      com.docker.network.bridge.name: br-b
      com.docker.network.bridge.host_binding_ipv4: 0.0.0.0
`),
    ).toEqual([
      'a.yaml:9:45: networks.a.options["com.docker.network.bridge.enable_icc"]: "true" contradicts icc: false',
      'a.yaml:11:38: networks.a.options["com.docker.network.driver.mtu"]: 1500 contradicts mtu: 1400',
      'a.yaml:12:39: networks.a.options["com.docker.network.bridge.name"]: "br-b" contradicts bridge: "br-a"',
      'a.yaml:13:52: networks.a.options["com.docker.network.bridge.host_binding_ipv4"]: "0.0.0.0" contradicts hostBindingIPv4: "127.0.0.1"',
    ]);
  });
});

describe('endpoint networks', () => {
  it('must be declared, apart from the built-ins', async () => {
    expect(await errorsOf('networks: {front: {}}\nendpoints:\n  web:\n    networks: [front, db, bridge]\n  h: {networks: [host]}\n  n: {networks: [none]}\n')).toEqual([
      'a.yaml:4:23: endpoints.web.networks.db: network "db" is not declared',
    ]);
  });

  it('never combines host or none with anything', async () => {
    expect(await errorsOf('networks: {front: {}}\nendpoints:\n  a: {networks: [host, front]}\n  b: {networks: [none, host]}\n')).toEqual([
      'a.yaml:3:18: endpoints.a.networks.host: "host" cannot be combined with other networks',
      'a.yaml:4:18: endpoints.b.networks.none: "none" cannot be combined with other networks',
      'a.yaml:4:24: endpoints.b.networks.host: "host" cannot be combined with other networks',
    ]);
  });

  it('gives host and none no per-network settings', async () => {
    expect(await errorsOf('endpoints:\n  a:\n    networks:\n      host: {mac: "02:00:00:00:00:01", aliases: [x]}\n')).toEqual([
      'a.yaml:4:19: endpoints.a.networks.host.mac: mac cannot be set on the "host" network',
      'a.yaml:4:40: endpoints.a.networks.host.aliases: aliases cannot be set on the "host" network',
    ]);
  });

  it('keeps static addresses and aliases off the default bridge', async () => {
    expect(await errorsOf('endpoints:\n  a:\n    networks:\n      bridge: {ipv4: 172.17.0.5, aliases: [x], mac: "02:42:ac:11:00:05"}\n')).toEqual([
      'a.yaml:4:22: endpoints.a.networks.bridge.ipv4: a static address is supported on user-defined networks only',
      'a.yaml:4:34: endpoints.a.networks.bridge.aliases: network-scoped aliases are supported on user-defined networks only',
    ]);
  });

  it('needs the default bridge enabled to join it', async () => {
    expect(await errorsOf('settings:\n  defaultBridge: {enabled: false}\nendpoints:\n  a: {}\n  b: {networks: [bridge]}\n  c: {networks: [none]}\n')).toEqual([
      'a.yaml:4:3: endpoints.a: lists no networks, so it joins the default bridge, which settings.defaultBridge.enabled: false disables',
      'a.yaml:5:18: endpoints.b.networks.bridge: the default bridge is disabled (settings.defaultBridge.enabled: false)',
    ]);
  });
});

describe('static addresses', () => {
  const networks = 'networks:\n  front: {subnet: 10.0.0.0/24}\n  gw: {subnet: 10.0.1.0/24, gateway: 10.0.1.254}\n  auto: {}\n';

  it('must be usable addresses of the subnet', async () => {
    expect(
      await errorsOf(`${networks}endpoints:
  a: {networks: {front: {ipv4: 10.0.5.1}}}
  b: {networks: {front: {ipv4: 10.0.0.0}}}
  c: {networks: {front: {ipv4: 10.0.0.255}}}
  d: {networks: {front: {ipv4: 10.0.0.1}}}
  e: {networks: {gw: {ipv4: 10.0.1.254}}}
  f: {networks: {gw: {ipv4: 10.0.1.1}}}
`),
    ).toEqual([
      'a.yaml:6:32: endpoints.a.networks.front.ipv4: "10.0.5.1" is not in subnet 10.0.0.0/24',
      'a.yaml:7:32: endpoints.b.networks.front.ipv4: "10.0.0.0" is the network address of 10.0.0.0/24',
      'a.yaml:8:32: endpoints.c.networks.front.ipv4: "10.0.0.255" is the broadcast address of 10.0.0.0/24',
      'a.yaml:9:32: endpoints.d.networks.front.ipv4: "10.0.0.1" is the gateway of network "front"',
      'a.yaml:10:29: endpoints.e.networks.gw.ipv4: "10.0.1.254" is the gateway of network "gw"',
    ]);
  });

  it('need a written subnet', async () => {
    expect(await errorsOf(`${networks}endpoints:\n  a: {networks: {auto: {ipv4: 10.0.9.9}}}\n`)).toEqual([
      'a.yaml:6:31: endpoints.a.networks.auto.ipv4: set networks.auto.subnet to use a static address',
    ]);
  });

  it('are taken once per network, the later one is reported', async () => {
    const { messages } = await load({
      'a.yaml': networks,
      'b.yaml': 'endpoints:\n  web:\n    networks:\n      front: {ipv4: 10.0.0.10}\n',
      'c.yaml': 'endpoints:\n  api:\n    networks:\n      front: {ipv4: 10.0.0.10}\n      gw: {ipv4: 10.0.0.10}\n',
    });
    expect(messages).toEqual([
      'c.yaml:4:21: endpoints.api.networks.front.ipv4: "10.0.0.10" is already taken by endpoint "web" (b.yaml:4:21)',
      'c.yaml:5:18: endpoints.api.networks.gw.ipv4: "10.0.0.10" is not in subnet 10.0.1.0/24',
    ]);
  });
});

describe('MAC addresses', () => {
  it('must be unicast and unique, whatever the case', async () => {
    expect(
      await errorsOf(`endpoints:
  a: {networks: {bridge: {mac: "02:42:AC:11:00:02"}}}
  b: {networks: {bridge: {mac: "02:42:ac:11:00:02"}}}
  c: {networks: {bridge: {mac: "01:00:5e:00:00:01"}}}
  d: {networks: {bridge: {mac: "00:00:00:00:00:00"}}}
`),
    ).toEqual([
      'a.yaml:3:32: endpoints.b.networks.bridge.mac: "02:42:ac:11:00:02" is already taken by endpoint "a" (a.yaml:2:32)',
      'a.yaml:4:32: endpoints.c.networks.bridge.mac: "01:00:5e:00:00:01" is a multicast MAC address; an interface needs a unicast one',
      'a.yaml:5:32: endpoints.d.networks.bridge.mac: "00:00:00:00:00:00" is not a usable MAC address',
    ]);
  });
});

describe('endpoints', () => {
  it('run on declared hosts, when hosts are declared', async () => {
    expect(await errorsOf('endpoints:\n  a: {host: host-c}\n')).toEqual([]);
    expect(await errorsOf('hosts:\n  host-a: {address: 192.0.2.10}\nendpoints:\n  a: {host: host-a}\n  b: {host: host-c}\n')).toEqual([
      'a.yaml:5:13: endpoints.b.host: host "host-c" is not declared under hosts',
    ]);
  });

  it('link only on the default bridge, to endpoints on it', async () => {
    expect(
      await errorsOf(`networks: {front: {}}
endpoints:
  db: {}
  web:
    links: ["db:database", "api", "nope", "a:b:c", "web", ":x"]
  api: {networks: [front]}
  user:
    networks: [front]
    links: [db]
`),
    ).toEqual([
      'a.yaml:5:28: endpoints.web.links[1]: endpoint "api" is not on the default bridge',
      'a.yaml:5:35: endpoints.web.links[2]: endpoint "nope" is not declared',
      'a.yaml:5:43: endpoints.web.links[3]: "a:b:c" is not a link; write NAME or NAME:ALIAS',
      'a.yaml:5:52: endpoints.web.links[4]: an endpoint cannot link to itself',
      'a.yaml:5:59: endpoints.web.links[5]: ":x" is not a link; write NAME or NAME:ALIAS',
      'a.yaml:9:5: endpoints.user.links: links work on the default bridge only, and this endpoint is not on "bridge"',
    ]);
  });

  it('do not share a namespace', async () => {
    expect(await errorsOf('endpoints:\n  a: {netns: web}\n  b: {netns: /run/netns/web}\n  c: {netns: /proc/1/ns/net}\n')).toEqual([
      'a.yaml:3:14: endpoints.b.netns: namespace "/run/netns/web" is already used by endpoint "a" (a.yaml:2:14)',
    ]);
  });
});

describe('all at once', () => {
  it('reports every semantic error of every file, sorted', async () => {
    const { messages } = await load({
      'b.yaml': 'endpoints:\n  e: {networks: [x, y]}\n',
      'a.yaml': 'networks:\n  bridge: {}\n  n: {subnet: 10.0.0.1/8, driver: cni}\n',
    });
    expect(messages).toEqual([
      'a.yaml:2:3: networks.bridge: "bridge" is reserved for the built-in network; choose another name',
      'a.yaml:3:15: networks.n.subnet: "10.0.0.1/8" has host bits set; did you mean 10.0.0.0/8?',
      'a.yaml:3:35: networks.n.driver: driver "cni" is not supported yet',
      'b.yaml:2:18: endpoints.e.networks.x: network "x" is not declared',
      'b.yaml:2:21: endpoints.e.networks.y: network "y" is not declared',
    ]);
  });
});
