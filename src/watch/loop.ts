// The control loop's state machine. Level-triggered: file events, kernel events, the resync
// period and SIGHUP only mark the host dirty (`trigger`); a pass always reloads the spec and
// recomputes everything, so no event needs to say what changed (kernel events only spare the pass
// reading endpoint namespaces nothing happened in: observe-scope.ts). Triggers that arrive close
// together, or while a pass runs, coalesce into one pass.
//
// Failures retry with exponential backoff. While backing off, kernel events and resyncs wait for
// the retry (a failing apply must not feed on its own events), but an edit of the spec or of a key
// file, or SIGHUP, runs a pass at once: that is how people fix things. An invalid spec never
// reaches the kernel: passes keep using the last valid one (so self-heal goes on) and the status
// says Stalled until it is fixed.
//
// The kernel events a pass causes itself arrive while it runs and so schedule one more pass, which
// finds nothing to do and causes no events: the loop settles after one extra, read-only pass.
import type { ObserveCounts } from '../observe/cache.js';
import type { DriftReport } from '../reconcile/drift.js';
import { UserError } from '../pipeline/pass.js';
import { formatSpecError, type LoadResult } from '../spec/index.js';
import type { Spec } from '../spec/types.js';
import type { Backoff } from './backoff.js';
import { specDigest } from './digest.js';
import { formatDuration } from './duration.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { type ControllerStatus, HISTORY, MAX_DRIFT_ITEMS, type PassRecord, type Trigger, setCondition } from './status.js';

export interface PassOutcome {
  /** One line per kernel change made ("create link ws-web [host]"); empty in report-only mode. */
  changes: { kind: string; text: string }[];
  /** What differed from the spec when the pass looked, before repairing it. */
  found: DriftReport;
  /** What still differs after the pass. */
  remaining: DriftReport;
  warnings: string[];
  /** Kernel objects the spec makes wirestate own, by kind. */
  owned: Record<string, number>;
  /** The desired state's endpoint namespaces (their kernel events are watched). */
  namespaces: string[];
  /** Endpoint namespaces the pass read, and those it took from the previous passes (see observe-scope.ts). */
  observed?: ObserveCounts;
}

export interface LoopOptions {
  heal: boolean;
  resyncMs: number;
  /** Quiet time after a trigger before the pass starts; each new trigger restarts it… */
  settleMs: number;
  /** …but a pass starts at most this long after the first pending trigger. */
  maxSettleMs: number;
  backoff: Backoff;
  load(): Promise<LoadResult>;
  /** Each time the spec is read and valid, before the pass uses it (e.g. watch the files it names). */
  specLoaded(spec: Spec): void;
  pass(spec: Spec, trigger: readonly Trigger[]): Promise<PassOutcome>;
  /** After each successful pass (e.g. watch the namespaces it made). */
  afterPass(outcome: PassOutcome): Promise<void>;
  publish(status: ControllerStatus): Promise<void>;
  log: Logger;
  metrics: Metrics;
  status: Pick<ControllerStatus, 'pid' | 'dir' | 'hostNetns' | 'resyncMs'>;
}

/** Triggers that run a pass even while backing off after a failure. */
const URGENT: ReadonlySet<Trigger> = new Set<Trigger>(['start', 'file', 'keyfile', 'signal', 'retry']);
/** Triggers that cannot change the YAML: a pass only they triggered keeps the spec last read. */
const KEEP_SPEC: ReadonlySet<Trigger> = new Set<Trigger>(['kernel', 'keyfile']);
/** Triggers that skip the settle delay. */
const IMMEDIATE: ReadonlySet<Trigger> = new Set<Trigger>(['start', 'signal', 'retry']);

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const differ = (n: number): string => `${plural(n, 'object')} ${n === 1 ? 'differs' : 'differ'}`;
const short = (digest: string): string => digest.slice(0, 'sha256:'.length + 12);
const driftLine = (i: DriftReport['items'][number]): string => `${i.status} ${i.kind} ${i.name} [${i.namespace}]`;

export class ControlLoop {
  status: ControllerStatus;
  private readonly pending = new Set<Trigger>();
  private firstPendingAt: number | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private inFlight: Promise<void> | null = null;
  private stopping = false;
  private lastValid: { spec: Spec; digest: string } | null = null;
  /** What was last logged, so an unchanged problem is not logged again on every pass. */
  private logged = { specErrors: '', warnings: '', drift: '' };

  constructor(private readonly o: LoopOptions) {
    const now = new Date();
    this.status = {
      version: 1,
      ...o.status,
      mode: o.heal ? 'heal' : 'report-only',
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      conditions: [],
      lastAppliedDigest: null,
      lastAttemptedDigest: null,
      specErrors: [],
      passes: [],
      drift: { inSync: true, total: 0, items: [] },
    };
    this.setConditions(now, { ready: [false, 'Starting', 'no pass has run yet'], reconciling: [true, 'Progressing', 'first pass'], stalled: [false, 'NoError', ''] });
  }

  /** Marks the host dirty. Never runs a pass synchronously. */
  trigger(t: Trigger): void {
    if (this.stopping) return;
    if (this.pending.size === 0) this.firstPendingAt = Date.now();
    this.pending.add(t);
    this.schedule();
  }

  /** Waits for the pass in flight, then records the stop. No further pass starts. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of [this.settleTimer, this.resyncTimer, this.retryTimer]) clearTimeout(t);
    await this.inFlight;
    const now = new Date();
    this.status.stoppedAt = now.toISOString();
    this.setConditions(now, { reconciling: [false, 'Stopped', 'the controller stopped; the kernel was left as it is'] });
    await this.publish();
  }

  private schedule(): void {
    if (this.inFlight || this.stopping || this.pending.size === 0) return;
    const pending = [...this.pending];
    if (Date.now() < this.retryAt && !pending.some((t) => URGENT.has(t))) return;
    const settle = pending.some((t) => IMMEDIATE.has(t)) ? 0 : Math.min(this.o.settleMs, (this.firstPendingAt ?? 0) + this.o.maxSettleMs - Date.now());
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.start(), Math.max(0, settle));
  }

  private start(): void {
    const triggers = [...this.pending];
    this.pending.clear();
    for (const t of [this.resyncTimer, this.retryTimer]) clearTimeout(t);
    this.retryAt = 0;
    this.inFlight = this.runPass(triggers)
      .catch((e: unknown) => this.o.log.error({ error: (e as Error).stack ?? String(e) }, 'internal error in a pass'))
      .finally(() => {
        this.inFlight = null;
        if (this.stopping) return;
        this.resyncTimer = setTimeout(() => this.trigger('resync'), this.o.resyncMs);
        this.schedule();
      });
  }

  private async runPass(trigger: Trigger[]): Promise<void> {
    const started = new Date();
    const t0 = performance.now();
    this.setConditions(started, { reconciling: [true, 'Progressing', `pass triggered by ${trigger.join(', ')}`] });
    await this.publish();
    // Reading a thousand endpoints' YAML costs 100–300 ms of the repair; key files are read by the pass itself.
    const specOk = this.lastValid && trigger.every((t) => KEEP_SPEC.has(t)) ? this.status.specErrors.length === 0 : await this.loadSpec();
    const current = this.lastValid;
    let outcome: PassOutcome | undefined;
    let error: unknown;
    if (current) {
      try {
        outcome = await this.o.pass(current.spec, trigger);
        if (this.o.heal && !outcome.remaining.inSync) {
          error = new Error(`after ${plural(outcome.changes.length, 'change')} the kernel still differs in ${plural(outcome.remaining.items.length, 'object')}: ${outcome.remaining.items.map(driftLine).join('; ')}`);
        }
      } catch (e) {
        error = e;
      }
    }
    const ms = Math.round(performance.now() - t0);
    const record: PassRecord = { startedAt: started.toISOString(), durationMs: ms, trigger, digest: current?.digest ?? null, changes: outcome?.changes.length ?? 0, drift: outcome?.found.items.length ?? 0, ...(outcome?.observed ? { observed: outcome.observed } : {}) };
    if (!current) record.error = 'the spec is invalid and no earlier spec was valid: nothing to apply';
    else if (error) record.error = error instanceof UserError ? [error.message, ...error.lines].join('; ') : (error as Error).message;
    this.status.passes = [record, ...this.status.passes].slice(0, HISTORY);
    this.status.lastAttemptedDigest = record.digest;
    this.o.metrics.passDuration.observe(ms / 1000);
    if (outcome) this.recordOutcome(outcome, record);
    if (current && !error) this.succeeded(current.digest, specOk, outcome!);
    else this.failed(record, error, specOk, trigger);
    await this.publish();
    if (outcome && !error) await this.o.afterPass(outcome).catch((e: unknown) => this.o.log.warn({ error: (e as Error).message }, 'could not watch the new namespaces for kernel events'));
  }

  /** Loads the spec; keeps the last valid one when it is invalid. Returns whether it was valid. */
  private async loadSpec(): Promise<boolean> {
    const loaded = await this.o.load();
    if (!loaded.ok) {
      const errors = loaded.errors.map(formatSpecError);
      this.status.specErrors = errors;
      this.o.metrics.errors.add(1, { reason: 'spec_invalid' });
      if (errors.join('\n') !== this.logged.specErrors) {
        const keeping = this.lastValid ? `keeping the last valid spec (${short(this.lastValid.digest)})` : 'nothing applied until it is fixed';
        this.o.log.error({ errors }, `the spec is invalid, ${keeping}`);
        this.logged.specErrors = errors.join('\n');
      }
      return false;
    }
    const digest = specDigest(loaded.spec);
    if (this.logged.specErrors) this.o.log.info({ digest }, 'the spec is valid again');
    if (this.lastValid?.digest !== digest) this.o.log.info({ digest, files: loaded.files.length }, this.lastValid ? 'the spec changed' : 'loaded the spec');
    this.logged.specErrors = '';
    this.status.specErrors = [];
    this.lastValid = { spec: loaded.spec, digest };
    this.o.specLoaded(loaded.spec);
    return true;
  }

  private recordOutcome(outcome: PassOutcome, record: PassRecord): void {
    const m = this.o.metrics;
    for (const c of outcome.changes) m.changes.add(1, { kind: c.kind });
    for (const i of outcome.found.items) m.driftFound.add(1, { kind: i.kind });
    m.drifted.set(outcome.remaining.items.length);
    m.owned.setAll('kind', outcome.owned);
    const r = outcome.remaining;
    this.status.drift = { inSync: r.inSync, total: r.items.length, items: r.items.slice(0, MAX_DRIFT_ITEMS) };
    const warnings = outcome.warnings.join('\n');
    if (warnings !== this.logged.warnings && outcome.warnings.length) this.o.log.warn({ warnings: outcome.warnings }, 'the spec uses parts this version does not program');
    this.logged.warnings = warnings;
    const fields = { trigger: record.trigger, durationMs: record.durationMs, ...(record.observed ? { observed: record.observed } : {}) };
    if (outcome.changes.length) this.o.log.info({ ...fields, changes: outcome.changes.map((c) => c.text) }, `applied ${plural(outcome.changes.length, 'change')}`);
    else if (this.o.heal) this.o.log[record.trigger.some((t) => t === 'start' || t === 'signal') ? 'info' : 'debug'](fields, 'in sync: nothing to do');
    if (!this.o.heal) {
      const drift = r.items.map(driftLine);
      if (drift.join('\n') !== this.logged.drift) {
        if (drift.length) this.o.log.warn({ ...fields, drift }, `drift: ${differ(drift.length)} from the spec (report-only, not repaired)`);
        else this.o.log.info(fields, 'in sync: the kernel matches the spec');
      }
      this.logged.drift = drift.join('\n');
    }
  }

  private succeeded(digest: string, specOk: boolean, outcome: PassOutcome): void {
    const now = new Date();
    this.o.backoff.reset();
    this.o.metrics.passes.add(1, { result: 'ok' });
    this.o.metrics.lastSuccess.set(now.getTime() / 1000);
    if (this.o.heal) this.status.lastAppliedDigest = digest;
    const drifted = !outcome.remaining.inSync;
    const ready: [boolean, string, string] = !specOk
      ? [false, 'SpecInvalid', `the spec is invalid; the kernel matches the last valid one (${short(digest)})`]
      : drifted
        ? [false, 'DriftDetected', `${differ(outcome.remaining.items.length)} from the spec (report-only: not repaired)`]
        : [true, this.o.heal ? 'Converged' : 'InSync', `the kernel matches the spec (${short(digest)})`];
    this.o.metrics.ready.set(ready[0] ? 1 : 0);
    this.setConditions(now, {
      ready,
      reconciling: [false, 'Idle', `next resync in ${formatDuration(this.o.resyncMs)}`],
      stalled: this.stalledBySpec(specOk),
    });
  }

  private failed(record: PassRecord, error: unknown, specOk: boolean, trigger: Trigger[]): void {
    const now = new Date();
    this.o.metrics.ready.set(0);
    if (!this.lastValid) {
      this.setConditions(now, { ready: [false, 'SpecInvalid', 'the spec is invalid and no earlier spec was valid: nothing applied'], reconciling: [false, 'Idle', 'waiting for the spec to be fixed'], stalled: this.stalledBySpec(false) });
      return;
    }
    this.o.metrics.passes.add(1, { result: 'failed' });
    this.o.metrics.errors.add(1, { reason: 'pass_failed' });
    const delay = this.o.backoff.next();
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.trigger('retry'), delay);
    const rejected = error instanceof UserError;
    const message = record.error ?? '';
    this.o.log.error({ trigger, error: message, attempt: this.o.backoff.failures, retryInMs: delay }, 'pass failed');
    this.setConditions(now, {
      ready: [false, rejected ? 'SpecRejected' : 'ReconcileFailed', message],
      reconciling: [true, 'RetryingAfterError', `attempt ${this.o.backoff.failures} failed; retrying in ${formatDuration(delay)}`],
      // A spec this host rejects (a name taken by a foreign link, a namespace that does not exist) needs a person.
      stalled: rejected ? [true, 'SpecRejected', message] : this.stalledBySpec(specOk),
    });
  }

  private stalledBySpec(specOk: boolean): [boolean, string, string] {
    if (specOk) return [false, 'NoError', ''];
    const n = plural(this.status.specErrors.length, 'error');
    return [true, 'SpecInvalid', `${n} in the spec, first: ${this.status.specErrors[0] ?? ''}`];
  }

  private setConditions(now: Date, c: { ready?: [boolean, string, string]; reconciling?: [boolean, string, string]; stalled?: [boolean, string, string] }): void {
    let list = this.status.conditions;
    if (c.ready) list = setCondition(list, 'Ready', ...c.ready, now);
    if (c.reconciling) list = setCondition(list, 'Reconciling', ...c.reconciling, now);
    if (c.stalled) list = setCondition(list, 'Stalled', ...c.stalled, now);
    this.status.conditions = list;
  }

  private async publish(): Promise<void> {
    this.status.updatedAt = new Date().toISOString();
    await this.o.publish(this.status).catch((e: unknown) => this.o.log.error({ error: (e as Error).message }, 'could not write the status file'));
  }
}
