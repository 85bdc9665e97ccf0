// Builders for specs and compile contexts used by the pure unit tests.
import type { HostFacts } from '../../src/model/state.js';
import { emptyAllocations, type Allocations } from '../../src/reconcile/allocations.js';
import type { CompileContext } from '../../src/reconcile/compile.js';
import type { Endpoint, NetworkSpec, SettingsSpec, Spec } from '../../src/spec/types.js';

export function spec(parts: { networks?: Record<string, NetworkSpec>; endpoints?: Record<string, Partial<Endpoint>>; settings?: SettingsSpec }): Spec {
  const endpoints: Record<string, Endpoint> = {};
  for (const [k, e] of Object.entries(parts.endpoints ?? {})) endpoints[k] = { networks: { bridge: {} }, ...e } as Endpoint;
  return { networks: parts.networks ?? {}, endpoints, hosts: {}, settings: parts.settings ?? {}, sources: {} };
}

export const noFacts = (): HostFacts => ({ foreignLinks: [], foreignRoutes: [], netnsNames: [] });

export function ctx(over: Partial<CompileContext> = {}, allocations: Allocations = emptyAllocations()): CompileContext {
  return { hostNetns: 'h1', allocations, facts: noFacts(), ...over };
}
