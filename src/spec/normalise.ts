// The shapes compile can rely on: every endpoint has a `networks` map, every body is an object.
import type { EndpointSpec, NetworkSpec } from '../../schemas/spec.js';
import type { Endpoint } from './types.js';

/** The built-in network an endpoint joins when it names none, as in Docker. */
export const DEFAULT_NETWORK = 'bridge';

export function normaliseNetwork(body: NetworkSpec | null | undefined): NetworkSpec {
  return body ?? {};
}

export function normaliseEndpoint(body: EndpointSpec | null | undefined): Endpoint {
  const { networks, ...rest } = body ?? {};
  const entries: [string, object | null][] = Array.isArray(networks)
    ? networks.map((name) => [name, {}])
    : Object.entries(networks ?? {});
  const map = Object.fromEntries(entries.map(([name, settings]) => [name, settings ?? {}]));
  return { ...rest, networks: entries.length > 0 ? map : { [DEFAULT_NETWORK]: {} } };
}
