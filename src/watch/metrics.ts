// The controller's Prometheus metrics, in the text exposition format (version 0.0.4), kept by hand:
// a handful of counters, gauges and one histogram do not need a client library.

type Labels = Record<string, string>;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (l: Labels): string => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const num = (n: number): string => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : '-Inf');

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}
  abstract samples(): string[];
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()];
  }
}

/** A counter or gauge: one value per label set, in the order the label sets first appeared. */
class Values extends Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  add(value: number, labels: Labels = {}): void {
    const key = labelText(labels);
    const cur = this.values.get(key);
    if (cur) cur.value += value;
    else this.values.set(key, { labels, value });
  }

  set(value: number, labels: Labels = {}): void {
    this.values.set(labelText(labels), { labels, value });
  }

  /** Gauges keyed by a label: label values absent from `values` drop to 0 rather than vanish. */
  setAll(label: string, values: Record<string, number>): void {
    for (const v of this.values.values()) v.value = 0;
    for (const [k, n] of Object.entries(values)) this.set(n, { [label]: k });
  }

  samples(): string[] {
    return [...this.values.values()].map((v) => `${this.name}${labelText(v.labels)} ${num(v.value)}`);
  }
}

class Histogram extends Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(name: string, help: string, readonly buckets: number[]) {
    super(name, help, 'histogram');
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.buckets.forEach((b, i) => {
      if (value <= b) this.counts[i]!++;
    });
    this.sum += value;
    this.count++;
  }

  samples(): string[] {
    return [
      ...this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    ];
  }
}

export class Metrics {
  readonly passDuration = new Histogram('wirestate_pass_duration_seconds', 'Duration of reconcile passes (observe, diff, apply, verify).', [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
  readonly passes = new Values('wirestate_passes_total', 'Reconcile passes, by result (ok, failed).', 'counter');
  readonly changes = new Values('wirestate_changes_applied_total', 'Kernel changes applied, by object kind.', 'counter');
  readonly driftFound = new Values('wirestate_drift_found_total', 'Objects found differing from the spec at the start of a pass, by object kind.', 'counter');
  readonly drifted = new Values('wirestate_drifted_objects', 'Objects differing from the spec after the last pass (report-only mode: not repaired).', 'gauge');
  readonly errors = new Values('wirestate_errors_total', 'Errors, by reason (spec_invalid, pass_failed).', 'counter');
  readonly owned = new Values('wirestate_owned_objects', 'Kernel objects the spec makes wirestate own, by kind.', 'gauge');
  readonly ready = new Values('wirestate_ready', '1 when the kernel matched the spec at the last pass and the spec is valid.', 'gauge');
  readonly lastSuccess = new Values('wirestate_last_success_timestamp_seconds', 'When the last pass succeeded (Unix time).', 'gauge');
  private readonly rss = new Values('process_resident_memory_bytes', 'Resident memory of the controller.', 'gauge');
  private readonly started = new Values('process_start_time_seconds', 'Start time of the controller (Unix time).', 'gauge');

  constructor(startedAtMs: number) {
    this.started.set(startedAtMs / 1000);
    this.ready.set(0);
  }

  render(): string {
    this.rss.set(process.memoryUsage().rss);
    const all = [this.passDuration, this.passes, this.changes, this.driftFound, this.drifted, this.errors, this.owned, this.ready, this.lastSuccess, this.rss, this.started];
    return `${all.flatMap((m) => m.render()).join('\n')}\n`;
  }
}
