// src/spec owns reading a desired-state directory: YAML → validated, merged, normalised Spec, or positioned errors.
export { loadSpec, type LoadResult, type ParseCache } from './load.js';
export { formatSpecError, type SpecError } from './errors.js';
export { checkSpec } from './semantic.js';
export { specPath, type Segment } from './path.js';
export { sourceOf } from './sources.js';
export { DEFAULT_BRIDGE_NAME, DEFAULT_BRIDGE_SUBNET, MAX_IFNAME, defaultBridge, type DefaultBridge } from './defaults.js';
export { DOCKER_OPTIONS, DOCKER_OPTION_PREFIX, parseBoolOption, parseMtuOption, type DockerOption } from './options.js';
export type { Endpoint, SourcePos, Spec } from './types.js';
