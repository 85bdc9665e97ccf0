import type { Change } from '../model/plan.js';

export const describeChange = (c: Change): string => `${c.action} ${c.kind} ${c.name} in ${c.namespace}`;

export interface FailedChange {
  change: Change;
  error: string;
}

/** Some changes failed. Every change of the plan is in exactly one of done, failed and notRun. */
export class ApplyError extends Error {
  constructor(
    readonly done: Change[],
    readonly failed: FailedChange[],
    readonly notRun: Change[],
  ) {
    super(
      [
        `apply failed: ${failed.length} change(s) failed, ${notRun.length} not run, ${done.length} done`,
        ...failed.map((f) => `  failed: ${describeChange(f.change)}: ${f.error}`),
        ...notRun.map((c) => `  not run: ${describeChange(c)}`),
      ].join('\n'),
    );
    this.name = 'ApplyError';
  }
}
