import { describe, expect, it } from 'vitest';
import { load } from '../fixtures/spec/load-helper.js';

describe('spec checks: published ports', () => {
  it('points at a port entry that does not parse', async () => {
    const { messages } = await load({ 'a.yaml': 'endpoints:\n  web:\n    ports:\n      - "8080:80"\n      - "8080:80/icmp"\n      - "[::1]:8443:443"\n' });
    expect(messages).toEqual([
      'a.yaml:5:9: endpoints.web.ports[1]: protocol "icmp" is not tcp, udp or sctp',
      'a.yaml:6:9: endpoints.web.ports[2]: host address ::1 is IPv6, and this version has no IPv6 networks to publish to',
    ]);
  });

  it('refuses the same host port published twice, naming the first', async () => {
    const { messages } = await load({
      'a.yaml': 'endpoints:\n  web:\n    ports: ["8080:80"]\n',
      'b.yaml': 'endpoints:\n  api:\n    ports: ["127.0.0.1:8080:90", "127.0.0.2:9000:90", { target: 91, published: 9000, hostIp: 127.0.0.2 }]\n',
    });
    expect(messages).toEqual([
      'b.yaml:3:13: endpoints.api.ports[0]: host port 127.0.0.1:8080/tcp is already published by endpoint "web" (a.yaml:3:13)',
      'b.yaml:3:55: endpoints.api.ports[2]: host port 127.0.0.2:9000/tcp is already published by endpoint "api" (b.yaml:3:34)',
    ]);
  });

  it('allows one port on two different addresses, and tcp beside udp', async () => {
    const { messages } = await load({ 'a.yaml': 'endpoints:\n  web:\n    ports: ["127.0.0.1:53:53", "127.0.0.2:53:53", "53:53/udp"]\n' });
    expect(messages).toEqual([]);
  });

  it('refuses a mapping in expose', async () => {
    const { messages } = await load({ 'a.yaml': 'endpoints:\n  web:\n    expose: ["80:80"]\n' });
    expect(messages).toEqual(['a.yaml:3:14: endpoints.web.expose[0]: "80:80" is not an exposed port; expose takes PORT[-PORT][/PROTOCOL], publishing is for ports']);
  });
});
