// Sysctls under /proc/sys/net belong to the namespace of the process reading or writing them,
// so one small process per namespace does all of that namespace's keys.
import { run } from './run.js';

/** sysctl(8)'s mapping: the key's '.' are the path's '/', and a '/' in a key is a '.' in a name (eth0/10 → eth0.10). */
const sysctlPath = (key: string): string => `/proc/sys/${key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'))}`;

/** Pure: `grep -H '' FILE…` output → key → value. Files that could not be read are simply absent. */
export function parseSysctlDump(stdout: string, keys: readonly string[]): Record<string, string> {
  const keyOf = new Map(keys.map((k) => [sysctlPath(k), k]));
  const values: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const colon = line.indexOf(':');
    const key = colon < 0 ? undefined : keyOf.get(line.slice(0, colon));
    if (key === undefined) continue;
    const value = line.slice(colon + 1);
    values[key] = key in values ? `${values[key]}\n${value}` : value;
  }
  return values;
}

export async function readSysctls(netns: string | null, keys: readonly string[]): Promise<Record<string, string>> {
  if (keys.length === 0) return {};
  // grep -H names the file on every line and carries on past missing files.
  const res = await run('grep', ['-H', '', ...keys.map(sysctlPath)], { netns });
  return parseSysctlDump(res.stdout, keys);
}

// Writes "$1" ← "$2" pair by pair and prints "path<TAB>error" for each write that failed.
const WRITE_SCRIPT = `while [ $# -gt 0 ]; do
  if ! err=$( { printf '%s\\n' "$2" > "$1"; } 2>&1 ); then printf '%s\\t%s\\n' "$1" "$err"; fi
  shift 2
done`;

/** Writes all `values` in one process; returns the keys that failed with the shell's message. */
export async function writeSysctls(netns: string | null, values: readonly (readonly [string, string])[]): Promise<{ key: string; error: string }[]> {
  const args = values.flatMap(([k, v]) => [sysctlPath(k), v]);
  const res = await run('sh', ['-c', WRITE_SCRIPT, 'sh', ...args], { netns });
  if (res.code !== 0) return values.map(([key]) => ({ key, error: res.stderr.trim() || `sh exited with status ${res.code}` }));
  const keyOf = new Map(values.map(([k]) => [sysctlPath(k), k]));
  return res.stdout
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [path = '', ...error] = l.split('\t');
      return { key: keyOf.get(path) ?? path, error: error.join(' ') };
    });
}
