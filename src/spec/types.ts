// The merged, normalised spec of a desired-state directory: what compile consumes.
import type { EndpointNetworkSpec, EndpointSpec, HostSpec, NetworkSpec, SettingsSpec } from '../../schemas/spec.js';

export type { EndpointNetworkSpec, HostSpec, NetworkSpec, SettingsSpec };

/** An endpoint with `networks` always a map (a plain list and `null` entries become `{}`). */
export type Endpoint = Omit<EndpointSpec, 'networks'> & { networks: Record<string, EndpointNetworkSpec> };

/** Where something was written: used to point every error at file:line:col. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export interface Spec {
  /** User-defined networks only; the built-ins (bridge, host, none) are implied. */
  networks: Record<string, NetworkSpec>;
  endpoints: Record<string, Endpoint>;
  hosts: Record<string, HostSpec>;
  settings: SettingsSpec;
  /** Position of each declaration, keyed by dotted path ("networks.frontend", "endpoints.web.networks.db"). */
  sources: Record<string, SourcePos>;
}

export const BUILTIN_NETWORKS = ['bridge', 'host', 'none'] as const;
