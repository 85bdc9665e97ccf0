// Printing paths into the spec: `networks.frontend.subnet`, `endpoints.web.ports[2]`,
// `networks.x.options["com.docker.network.bridge.name"]`. Also the keys of `Spec.sources`.

export type Segment = string | number;

const PLAIN_KEY = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

export function specPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/**
 * The entry for `segments`, or for its nearest ancestor that has one: values reached through a YAML
 * alias, or filled in by defaults, are reported where their closest written parent is.
 */
export function nearest<T>(lookup: (key: string) => T | undefined, segments: readonly Segment[]): T | undefined {
  for (let n = segments.length; n >= 0; n--) {
    const found = lookup(specPath(segments.slice(0, n)));
    if (found !== undefined) return found;
  }
  return undefined;
}
