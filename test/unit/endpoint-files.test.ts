// resolv.conf, hosts and the environment file of endpoints, byte for byte, as compile writes them.
import { describe, expect, it } from 'vitest';
import { HOST_NS } from '../../src/model/state.js';
import { compile } from '../../src/reconcile/compile.js';
import { MANAGED_HEADER, isManaged } from '../../src/reconcile/files/header.js';
import { linkVariables, parseEnvironment, proxyVariables } from '../../src/reconcile/files/environment.js';
import { parseResolvConf, renderResolvConf } from '../../src/reconcile/files/resolv-conf.js';
import { ctx, noFacts, spec } from './fixtures.js';

const H = `${MANAGED_HEADER}\n`;
const LOCALHOST = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';
const HOST_RESOLV = '# the host\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch corp.example lab.example\noptions edns0 ndots:3\n';

const files = (s: ReturnType<typeof spec>, resolvConf = HOST_RESOLV) => {
  const { desired, warnings } = compile(s, ctx({ facts: { ...noFacts(), resolvConf } }));
  return { ns: (e: string) => desired.namespaces[`h1-${e}`]?.files ?? {}, host: desired.namespaces[HOST_NS], warnings };
};

describe('resolv.conf', () => {
  const s = spec({
    networks: { front: { subnet: '10.10.0.0/24' }, quiet: { subnet: '10.11.0.0/24', dns: false } },
    endpoints: {
      web: { networks: { front: {} } },
      tuned: { networks: { front: {} }, dns: ['192.0.2.1'], dnsSearch: ['example.com'], dnsOptions: ['ndots:2', 'timeout:1'] },
      nosearch: { networks: { front: {} }, dnsSearch: ['.'], dnsOptions: ['ndots:x', 'rotate'] },
      legacy: {},
      legacyOwn: { dns: ['127.0.0.1', '198.51.100.1'], dnsOptions: ['rotate'] },
      off: { networks: { quiet: {} } },
      isolated: { networks: { none: {} } },
    },
  });
  const { ns } = files(s);

  it('on a user-defined network: the embedded resolver, the host search list and options, ndots as the host set it', () => {
    expect(ns('web')['/etc/netns/h1-web/resolv.conf']).toBe(`${H}nameserver 127.0.0.11\nsearch corp.example lab.example\noptions edns0 ndots:3\n`);
  });

  it('dnsSearch and dnsOptions replace the host ones; dns becomes the resolver upstream, not a nameserver line', () => {
    expect(ns('tuned')['/etc/netns/h1-tuned/resolv.conf']).toBe(`${H}nameserver 127.0.0.11\nsearch example.com\noptions ndots:2 timeout:1\n`);
  });

  it('dnsSearch "." means no search list; an invalid ndots is dropped and ndots:0 added', () => {
    expect(ns('nosearch')['/etc/netns/h1-nosearch/resolv.conf']).toBe(`${H}nameserver 127.0.0.11\noptions rotate ndots:0\n`);
  });

  it('on the default bridge: the host servers without loopback and IPv6 ones, search and options as they are', () => {
    expect(ns('legacy')['/etc/netns/h1-legacy/resolv.conf']).toBe(`${H}nameserver 192.0.2.53\nsearch corp.example lab.example\noptions edns0 ndots:3\n`);
    expect(ns('legacyOwn')['/etc/netns/h1-legacyOwn/resolv.conf']).toBe(`${H}nameserver 198.51.100.1\nsearch corp.example lab.example\noptions rotate\n`);
  });

  it('a network with dns: false and the none network are treated like the default bridge', () => {
    expect(ns('off')['/etc/netns/h1-off/resolv.conf']).toBe(`${H}nameserver 192.0.2.53\nsearch corp.example lab.example\noptions edns0 ndots:3\n`);
    expect(ns('isolated')['/etc/netns/h1-isolated/resolv.conf']).toBe(`${H}nameserver 192.0.2.53\nsearch corp.example lab.example\noptions edns0 ndots:3\n`);
  });

  it("falls back to Docker's public servers when the host has only loopback ones, and adds ndots:0 when none is set", () => {
    const { ns: only } = files(s, 'nameserver 127.0.0.53\n');
    expect(only('legacy')['/etc/netns/h1-legacy/resolv.conf']).toBe(`${H}nameserver 8.8.8.8\nnameserver 8.8.4.4\n`);
    expect(only('web')['/etc/netns/h1-web/resolv.conf']).toBe(`${H}nameserver 127.0.0.11\noptions ndots:0\n`);
  });

  it('reads resolv.conf as glibc does: the last search or domain line wins, options add up, comments go', () => {
    expect(parseResolvConf('domain a.example\nsearch b.example c.example ; comment\noptions rotate\noptions timeout:2 # x\nnameserver 192.0.2.1\n')).toEqual({
      nameservers: ['192.0.2.1'],
      search: ['b.example', 'c.example'],
      options: ['rotate', 'timeout:2'],
    });
    expect(renderResolvConf(parseResolvConf(''), { resolver: false })).toBe(`${H}nameserver 8.8.8.8\nnameserver 8.8.4.4\n`);
  });
});

describe('hosts', () => {
  const s = spec({
    networks: { a: { subnet: '10.1.0.0/24' }, b: { subnet: '10.2.0.0/24', internal: true } },
    endpoints: {
      multi: { hostname: 'multi.example.com', networks: { a: {}, b: {} }, extraHosts: ['gw:host-gateway', 'db.local=192.0.2.20', 'v6:[2001:db8::1]'] },
      inside: { networks: { b: {} }, extraHosts: ['gw:host-gateway'] },
      child: { hostname: 'kid', expose: [5432] },
      parent: { links: ['child:db', 'child'] },
      alone: { networks: { none: {} } },
    },
  });
  const { ns, warnings } = files(s);

  it('localhost lines, extraHosts in order (host-gateway is the gateway of the route out), then one line per own address', () => {
    expect(ns('multi')['/etc/netns/h1-multi/hosts']).toBe(`${H}${LOCALHOST}10.1.0.1\tgw\n192.0.2.20\tdb.local\n2001:db8::1\tv6\n10.1.0.2\tmulti.example.com multi\n10.2.0.3\tmulti.example.com multi\n`);
  });

  it('legacy links: the linked endpoint under its alias, hostname and name; the endpoint name is the default hostname', () => {
    expect(ns('parent')['/etc/netns/h1-parent/hosts']).toBe(`${H}${LOCALHOST}172.17.0.2\tdb kid child\n172.17.0.2\tchild kid\n172.17.0.3\tparent\n`);
  });

  it('only localhost on the none network', () => {
    expect(ns('alone')['/etc/netns/h1-alone/hosts']).toBe(`${H}${LOCALHOST}`);
  });

  it('leaves host-gateway out, with a warning, for an endpoint with no route out', () => {
    expect(ns('inside')['/etc/netns/h1-inside/hosts']).toBe(`${H}${LOCALHOST}10.2.0.2\tinside\n`);
    expect(warnings).toContain('endpoints.inside.extraHosts: "gw:host-gateway" left out: the endpoint has no route out, so no gateway');
  });
});

describe('environment', () => {
  it('proxies: settings.proxies.default, overridden field by field by the endpoint, upper and lower case', () => {
    const s = spec({
      endpoints: { web: { proxy: { http: 'http://own:3128', ftp: 'ftp://f:21' } }, other: {} },
      settings: { proxies: { default: { http: 'http://127.0.0.1:3001', https: 'https://127.0.0.1:3001', noProxy: '*.test.example.com,.example2.com' } } },
    });
    const { ns } = files(s);
    expect(ns('web')['/etc/netns/h1-web/environment']).toBe(
      `${H}HTTP_PROXY=http://own:3128\nhttp_proxy=http://own:3128\nHTTPS_PROXY=https://127.0.0.1:3001\nhttps_proxy=https://127.0.0.1:3001\nFTP_PROXY=ftp://f:21\nftp_proxy=ftp://f:21\nNO_PROXY=*.test.example.com,.example2.com\nno_proxy=*.test.example.com,.example2.com\n`,
    );
    expect(ns('other')['/etc/netns/h1-other/environment']).toBe(
      `${H}HTTP_PROXY=http://127.0.0.1:3001\nhttp_proxy=http://127.0.0.1:3001\nHTTPS_PROXY=https://127.0.0.1:3001\nhttps_proxy=https://127.0.0.1:3001\nNO_PROXY=*.test.example.com,.example2.com\nno_proxy=*.test.example.com,.example2.com\n`,
    );
  });

  it("links: Docker's variables, ports sorted by number with TCP first, after the proxies", () => {
    const s = spec({ endpoints: { db: { expose: ['5432', '53/udp'], ports: ['8080:53'] }, app: { links: ['db:my-db'], proxy: { noProxy: 'x' } } } });
    expect(files(s).ns('app')['/etc/netns/h1-app/environment']).toBe(
      [
        H.trimEnd(),
        'NO_PROXY=x',
        'no_proxy=x',
        'MY_DB_PORT=tcp://172.17.0.3:53',
        'MY_DB_PORT_53_TCP=tcp://172.17.0.3:53',
        'MY_DB_PORT_53_TCP_ADDR=172.17.0.3',
        'MY_DB_PORT_53_TCP_PORT=53',
        'MY_DB_PORT_53_TCP_PROTO=tcp',
        'MY_DB_PORT_53_UDP=udp://172.17.0.3:53',
        'MY_DB_PORT_53_UDP_ADDR=172.17.0.3',
        'MY_DB_PORT_53_UDP_PORT=53',
        'MY_DB_PORT_53_UDP_PROTO=udp',
        'MY_DB_PORT_5432_TCP=tcp://172.17.0.3:5432',
        'MY_DB_PORT_5432_TCP_ADDR=172.17.0.3',
        'MY_DB_PORT_5432_TCP_PORT=5432',
        'MY_DB_PORT_5432_TCP_PROTO=tcp',
        'MY_DB_NAME=/app/my-db',
        '',
      ].join('\n'),
    );
  });

  it('no file at all when there is nothing to set', () => {
    expect(files(spec({ endpoints: { web: {} } })).ns('web')['/etc/netns/h1-web/environment']).toBeUndefined();
  });

  it('reads back what it writes, skipping the header', () => {
    const text = `${H}${[...proxyVariables(undefined, { http: 'http://a:1' }), ...linkVariables({ parent: 'p', alias: 'c', address: '10.0.0.2', ports: [] })].join('\n')}\n`;
    expect(parseEnvironment(text)).toEqual({ HTTP_PROXY: 'http://a:1', http_proxy: 'http://a:1', C_NAME: '/p/c' });
  });
});

describe('files in general', () => {
  it('every managed file starts with the header line', () => {
    const { ns, host } = files(spec({ networks: { n: { subnet: '10.9.0.0/24' } }, endpoints: { e: { networks: { n: {} }, proxy: { http: 'h' } } } }));
    const all = { ...ns('e'), ...host.files };
    expect(Object.keys(all).sort()).toEqual(['/etc/netns/h1-e/environment', '/etc/netns/h1-e/hosts', '/etc/netns/h1-e/resolv.conf', '/run/wirestate/netns-h1/dns/records']);
    for (const content of Object.values(all)) expect(isManaged(content)).toBe(true);
  });

  it('an endpoint whose namespace is a path gets no files, and says so', () => {
    const { desired, warnings } = compile(spec({ endpoints: { vm: { netns: '/proc/1/ns/net' } } }), ctx());
    expect(desired.namespaces['/proc/1/ns/net'].files).toBeUndefined();
    expect(warnings).toEqual(['endpoints.vm: its namespace is a path, so it gets no resolv.conf, hosts or environment file (only namespaces named under /run/netns have /etc/netns/<name>/)']);
  });

  it('an endpoint on the host network has no namespace and no files', () => {
    const { desired } = compile(spec({ endpoints: { h: { networks: { host: {} } } } }), ctx());
    expect(Object.keys(desired.namespaces)).toEqual([HOST_NS]);
  });
});
