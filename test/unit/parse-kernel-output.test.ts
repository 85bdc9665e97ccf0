// The small parsers inside src/kernel: forced ip batch errors and the sysctl dump (with the keys it reads).
import { describe, expect, it } from 'vitest';
import { ipv4ConfKey } from '../../src/model/state.js';
import { parseBatchErrors } from '../../src/kernel/run.js';
import { parseSysctlDump } from '../../src/kernel/sysctl.js';

describe('parseBatchErrors', () => {
  it('maps each error to its line (real stderr of `ip -force -batch -`)', () => {
    const stderr = [
      'Cannot find device "nosuch"',
      'Command failed -:1',
      'Error: ipv4: Address not found.',
      'Command failed -:3',
      'RTNETLINK answers: No such process',
      'Command failed -:4',
      '',
    ].join('\n');
    expect(parseBatchErrors(stderr)).toEqual({
      failures: [
        { line: 1, error: 'Cannot find device "nosuch"' },
        { line: 3, error: 'Error: ipv4: Address not found.' },
        { line: 4, error: 'RTNETLINK answers: No such process' },
      ],
      rest: '',
    });
  });

  it('keeps what follows the last failure: the message of a batch that stopped', () => {
    const stderr = 'Cannot find device "nosuch"\nCommand failed -:1\nError: either "dev" is duplicate, or "q\\"" is a garbage.\n';
    expect(parseBatchErrors(stderr).rest).toBe('Error: either "dev" is duplicate, or "q\\"" is a garbage.');
  });
});

it('parseSysctlDump reads `grep -H` lines, keeps tabs, leaves out unreadable keys', () => {
  const out = '/proc/sys/net/ipv4/ip_forward:0\n/proc/sys/net/ipv4/ip_local_port_range:32768\t60999\n';
  expect(parseSysctlDump(out, ['net.ipv4.ip_forward', 'net.ipv4.nope', 'net.ipv4.ip_local_port_range'])).toEqual({
    'net.ipv4.ip_forward': '0',
    'net.ipv4.ip_local_port_range': '32768\t60999',
  });
});

it("parseSysctlDump finds a key naming an interface with a '.' at that interface's file", () => {
  const out = '/proc/sys/net/ipv4/conf/br.5/route_localnet:1\n/proc/sys/net/ipv4/conf/eth0.10.20/rp_filter:2\n';
  expect(parseSysctlDump(out, [ipv4ConfKey('br.5', 'route_localnet'), 'net.ipv4.conf.eth0/10/20.rp_filter'])).toEqual({
    'net.ipv4.conf.br/5.route_localnet': '1',
    'net.ipv4.conf.eth0/10/20.rp_filter': '2',
  });
});

it("ipv4ConfKey writes a '.' in the interface's name as sysctl(8) does, '/'", () => {
  expect(ipv4ConfKey('eth0.10', 'route_localnet')).toBe('net.ipv4.conf.eth0/10.route_localnet');
  expect(ipv4ConfKey('ws-front', 'route_localnet')).toBe('net.ipv4.conf.ws-front.route_localnet');
});
