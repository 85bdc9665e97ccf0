import { describe, expect, it } from 'vitest';
import { parseExtraHost } from '../../src/spec/extra-hosts.js';
import { errorsOf } from '../fixtures/spec/load-helper.js';

describe('extraHosts', () => {
  it('takes NAME:ADDRESS and NAME=ADDRESS, IPv4, IPv6 (bracketed or not) and host-gateway', () => {
    expect(parseExtraHost('db:10.0.0.5')).toEqual({ ok: true, name: 'db', address: '10.0.0.5' });
    expect(parseExtraHost('db=10.0.0.5')).toEqual({ ok: true, name: 'db', address: '10.0.0.5' });
    expect(parseExtraHost('v6:2001:db8::1')).toEqual({ ok: true, name: 'v6', address: '2001:db8::1' });
    expect(parseExtraHost('v6:[::1]')).toEqual({ ok: true, name: 'v6', address: '::1' });
    expect(parseExtraHost('gw:host-gateway')).toEqual({ ok: true, name: 'gw', address: 'host-gateway' });
  });

  it('names each wrong entry at its position', async () => {
    expect(await errorsOf('endpoints:\n  web:\n    extraHosts: ["nocolon", "bad name:10.0.0.1", "db:10.0.0.999", "ok:10.0.0.1"]\n')).toEqual([
      'a.yaml:3:18: endpoints.web.extraHosts[0]: "nocolon" is not an extra host; write NAME:ADDRESS',
      'a.yaml:3:29: endpoints.web.extraHosts[1]: "bad name" is not a host name',
      'a.yaml:3:50: endpoints.web.extraHosts[2]: "10.0.0.999" is not an IP address (or host-gateway)',
    ]);
  });
});
