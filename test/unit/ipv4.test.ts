import { describe, expect, it } from 'vitest';
import {
  broadcastOf,
  cidrBroadcast,
  cidrContains,
  cidrNetwork,
  cidrSize,
  cidrsOverlap,
  firstUsable,
  formatCidr,
  formatIpv4,
  hasHostBits,
  isCidr4,
  isIpv4,
  networkOf,
  normalizeCidr,
  parseCidr,
  parseIpv4,
  prefixMask,
} from '../../src/net/ipv4.js';

describe('ipv4 addresses', () => {
  it('parses to uint32 and formats back', () => {
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('10.0.0.1')).toBe(0x0a000001);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatIpv4(0xc0a80101)).toBe('192.168.1.1');
    expect(formatIpv4(parseIpv4('172.17.255.254'))).toBe('172.17.255.254');
  });

  it('rejects what is not a dotted quad', () => {
    for (const bad of ['300.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4 ', '', 'a.b.c.d', '1.2.3.-1']) {
      expect(isIpv4(bad), bad).toBe(false);
      expect(() => parseIpv4(bad)).toThrow('is not an IPv4 address');
    }
  });
});

describe('ipv4 CIDRs', () => {
  it('parses prefixes 0..32 only', () => {
    expect(parseCidr('10.10.0.0/24')).toEqual({ addr: 0x0a0a0000, prefix: 24 });
    expect(isCidr4('0.0.0.0/0')).toBe(true);
    expect(isCidr4('1.2.3.4/32')).toBe(true);
    for (const bad of ['10.10.0.0/33', '10.10.0.0', '10.10.0.0/', '/24', '10.10.0.0/024', '10.0.0.0/2 4']) {
      expect(isCidr4(bad), bad).toBe(false);
    }
    expect(() => parseCidr('10.10.0.0/33')).toThrow('"10.10.0.0/33" is not an IPv4 CIDR');
  });

  it('computes masks, network and broadcast addresses', () => {
    expect(prefixMask(0)).toBe(0);
    expect(prefixMask(1)).toBe(0x80000000);
    expect(prefixMask(24)).toBe(0xffffff00);
    expect(prefixMask(32)).toBe(0xffffffff);
    expect(cidrNetwork('10.0.0.5/24')).toBe('10.0.0.0');
    expect(cidrBroadcast('10.0.0.5/24')).toBe('10.0.0.255');
    expect(cidrNetwork('172.18.3.4/15')).toBe('172.18.0.0');
    expect(cidrBroadcast('172.18.0.0/15')).toBe('172.19.255.255');
    expect(cidrBroadcast('0.0.0.0/0')).toBe('255.255.255.255');
    expect(networkOf('200.1.2.3/1')).toBe(0x80000000);
    expect(broadcastOf('10.0.0.7/32')).toBe(parseIpv4('10.0.0.7'));
    expect(formatCidr(parseCidr('10.0.0.0/8'))).toBe('10.0.0.0/8');
  });

  it('spots and clears host bits', () => {
    expect(hasHostBits('10.0.0.5/24')).toBe(true);
    expect(hasHostBits('10.0.0.0/24')).toBe(false);
    expect(normalizeCidr('10.0.0.5/24')).toBe('10.0.0.0/24');
    expect(normalizeCidr('192.168.77.1/16')).toBe('192.168.0.0/16');
  });

  it('sizes', () => {
    expect(cidrSize('10.0.0.0/24')).toBe(256);
    expect(cidrSize('10.0.0.0/32')).toBe(1);
    expect(cidrSize('0.0.0.0/0')).toBe(2 ** 32);
  });

  it('contains addresses and CIDRs', () => {
    expect(cidrContains('10.0.0.0/24', '10.0.0.77')).toBe(true);
    expect(cidrContains('10.0.0.0/24', '10.0.1.0')).toBe(false);
    expect(cidrContains('10.0.0.0/24', '10.0.0.128/25')).toBe(true);
    expect(cidrContains('10.0.0.0/24', '10.0.0.0/24')).toBe(true);
    expect(cidrContains('10.0.0.0/24', '10.0.0.0/23')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '255.255.255.255')).toBe(true);
  });

  it('overlaps', () => {
    expect(cidrsOverlap('10.0.0.0/16', '10.0.5.0/24')).toBe(true);
    expect(cidrsOverlap('10.0.5.0/24', '10.0.0.0/16')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/24', '10.0.1.0/24')).toBe(false);
    expect(cidrsOverlap('172.17.0.0/16', '172.16.0.0/12')).toBe(true);
    expect(cidrsOverlap('192.168.0.0/16', '172.16.0.0/12')).toBe(false);
  });

  it('gives the first usable address', () => {
    expect(firstUsable('10.10.0.0/24')).toBe('10.10.0.1');
    expect(firstUsable('10.10.0.77/24')).toBe('10.10.0.1');
    expect(firstUsable('10.10.0.0/31')).toBe('10.10.0.0');
    expect(firstUsable('10.10.0.9/32')).toBe('10.10.0.9');
  });
});
