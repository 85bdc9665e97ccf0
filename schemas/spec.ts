// The desired-state YAML, as JSON Schema built with TypeBox: one source for the schema ajv checks
// (`npm run build` also writes it to schemas/wirestate.schema.json for editors) and for the
// TypeScript types the rest of the program uses.
import Type from 'typebox';

const strict = { additionalProperties: false } as const;

/** Kernel object names: what `ip link` accepts, checked for length semantically (the message names the limit). */
const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
const Ipv4 = Type.String({ format: 'ipv4' });
const Ipv4Cidr = Type.String({ format: 'cidr4' });
const Mac = Type.String({ pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$' });

export const NetworkSpec = Type.Object(
  {
    driver: Type.Optional(Type.Union([Type.Literal('bridge'), Type.Literal('overlay'), Type.Literal('macvlan'), Type.Literal('cni')])),
    subnet: Type.Optional(Ipv4Cidr),
    gateway: Type.Optional(Ipv4),
    ipRange: Type.Optional(Ipv4Cidr),
    internal: Type.Optional(Type.Boolean()),
    icc: Type.Optional(Type.Boolean()),
    masquerade: Type.Optional(Type.Boolean()),
    mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535 })),
    bridge: Type.Optional(Name),
    hostBindingIPv4: Type.Optional(Ipv4),
    dns: Type.Optional(Type.Boolean()),
    options: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
    encrypted: Type.Optional(Type.Boolean()),
    keyFile: Type.Optional(Type.String()),
    vni: Type.Optional(Type.Integer({ minimum: 1, maximum: 16777215 })),
    /** Overlay: the UDP port of its VXLAN traffic (Docker's data-path-port range). */
    port: Type.Optional(Type.Integer({ minimum: 1024, maximum: 49151 })),
    parent: Type.Optional(Type.String()),
    mode: Type.Optional(Type.Union([Type.Literal('bridge'), Type.Literal('private'), Type.Literal('vepa'), Type.Literal('passthru')])),
  },
  strict,
);

export const EndpointNetworkSpec = Type.Object(
  {
    ipv4: Type.Optional(Ipv4),
    mac: Type.Optional(Mac),
    aliases: Type.Optional(Type.Array(Type.String())),
  },
  strict,
);

const PortLong = Type.Object(
  {
    target: Type.Integer({ minimum: 1, maximum: 65535 }),
    published: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String({ pattern: '^[0-9]+(-[0-9]+)?$' })])),
    protocol: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('sctp')])),
    hostIp: Type.Optional(Type.String()),
    allowFrom: Type.Optional(Type.Array(Ipv4Cidr)),
  },
  strict,
);

const Proxy = Type.Object(
  {
    http: Type.Optional(Type.String()),
    https: Type.Optional(Type.String()),
    ftp: Type.Optional(Type.String()),
    noProxy: Type.Optional(Type.String()),
  },
  strict,
);

export const EndpointSpec = Type.Object(
  {
    netns: Type.Optional(Type.String({ minLength: 1 })),
    host: Type.Optional(Type.String()),
    hostname: Type.Optional(Type.String()),
    networks: Type.Optional(
      Type.Union([Type.Array(Type.String()), Type.Record(Type.String(), Type.Union([EndpointNetworkSpec, Type.Null()]))]),
    ),
    ports: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Integer({ minimum: 1, maximum: 65535 }), PortLong]))),
    expose: Type.Optional(Type.Array(Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String()]))),
    publishAll: Type.Optional(Type.Boolean()),
    dns: Type.Optional(Type.Array(Ipv4)),
    dnsSearch: Type.Optional(Type.Array(Type.String())),
    dnsOptions: Type.Optional(Type.Array(Type.String())),
    extraHosts: Type.Optional(Type.Array(Type.String())),
    links: Type.Optional(Type.Array(Type.String())),
    proxy: Type.Optional(Proxy),
  },
  strict,
);

export const HostSpec = Type.Object({ address: Ipv4 }, strict);

export const SettingsSpec = Type.Object(
  {
    defaultBridge: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          name: Type.Optional(Name),
          subnet: Type.Optional(Ipv4Cidr),
          gateway: Type.Optional(Ipv4),
          mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535 })),
          icc: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
    iptables: Type.Optional(Type.Boolean()),
    defaultAddressPools: Type.Optional(
      Type.Array(Type.Object({ base: Ipv4Cidr, size: Type.Integer({ minimum: 8, maximum: 30 }) }, strict), { minItems: 1 }),
    ),
    userlandProxy: Type.Optional(Type.Boolean()),
    proxies: Type.Optional(Type.Object({ default: Type.Optional(Proxy) }, strict)),
  },
  strict,
);

/** One YAML file; the merged spec of a directory has the same shape. */
export const SpecFile = Type.Object(
  {
    networks: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Union([NetworkSpec, Type.Null()])), Type.Null()])),
    endpoints: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Union([EndpointSpec, Type.Null()])), Type.Null()])),
    hosts: Type.Optional(Type.Union([Type.Record(Type.String(), HostSpec), Type.Null()])),
    settings: Type.Optional(Type.Union([SettingsSpec, Type.Null()])),
  },
  { ...strict, $id: 'https://wirestate.dev/schemas/wirestate.schema.json', title: 'wirestate desired state' },
);

export type NetworkSpec = Type.Static<typeof NetworkSpec>;
export type EndpointSpec = Type.Static<typeof EndpointSpec>;
export type EndpointNetworkSpec = Type.Static<typeof EndpointNetworkSpec>;
export type HostSpec = Type.Static<typeof HostSpec>;
export type SettingsSpec = Type.Static<typeof SettingsSpec>;
export type SpecFile = Type.Static<typeof SpecFile>;
