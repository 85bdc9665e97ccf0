// What bench/run.ts hands the sections that run inside its throwaway namespaces (controller, dns).
export interface BenchDeps {
  /** Namespaces named `${prefix}-…` are cleaned up by the bench on any exit. */
  prefix: string;
  cli: string;
  freshHost(name: string): Promise<void>;
  under(name: string): string[];
  deleteNamespaces(names: readonly string[]): Promise<void>;
  exec(cmd: string, args: readonly string[], input?: string, opts?: { timeoutMs?: number; check?: boolean }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Temporary directories removed on any exit. */
  tmpDirs: string[];
}
