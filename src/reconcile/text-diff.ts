// A line diff for people: what drift shows for a managed file someone edited. Pure.
// Myers' algorithm (O((N+M)·D)), so a thousand-line records file with a few changed lines is cheap.

/** Beyond this many differing lines the diff is not worth computing: everything is shown as replaced. */
const MAX_EDITS = 2000;
const CONTEXT = 2;

type Op = { kind: ' ' | '-' | '+'; line: string };

function editScript(a: string[], b: string[]): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, offset);
    }
  }
  return undefined;
}

function backtrack(a: string[], b: string[], trace: Int32Array[], offset: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  // trace[d] is the furthest-x table as it was before step d.
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      y--;
      ops.push({ kind: ' ', line: a[--x]! });
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[--y]! });
      else ops.push({ kind: '-', line: a[--x]! });
    }
  }
  return ops.reverse();
}

const split = (text: string): string[] => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

/**
 * Unified-diff-like lines from `before` to `after`: "@@ -l,n +l,n @@" hunk heads, then "  same",
 * "- before", "+ after" with two lines of context. Empty when the texts are equal.
 */
export function lineDiff(before: string, after: string): string[] {
  if (before === after) return [];
  const a = split(before);
  const b = split(after);
  const ops = editScript(a, b) ?? [...a.map((line): Op => ({ kind: '-', line })), ...b.map((line): Op => ({ kind: '+', line }))];
  const out: string[] = [];
  let i = 0;
  let lineA = 1;
  let lineB = 1;
  while (i < ops.length) {
    if (ops[i]!.kind === ' ') {
      i++;
      lineA++;
      lineB++;
      continue;
    }
    // A hunk: from CONTEXT lines before this change to CONTEXT lines after the last change that is
    // at most 2·CONTEXT unchanged lines from the next one.
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    let gap = 0;
    for (let j = i; j < ops.length; j++) {
      if (ops[j]!.kind === ' ') {
        if (++gap > 2 * CONTEXT) break;
      } else {
        gap = 0;
        end = j;
      }
    }
    end = Math.min(ops.length - 1, end + CONTEXT);
    const hunk = ops.slice(start, end + 1);
    const fromA = lineA - (i - start);
    const fromB = lineB - (i - start);
    const countA = hunk.filter((o) => o.kind !== '+').length;
    const countB = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${fromA},${countA} +${fromB},${countB} @@`, ...hunk.map((o) => `${o.kind} ${o.line}`));
    for (let j = i; j <= end; j++) {
      if (ops[j]!.kind !== '+') lineA++;
      if (ops[j]!.kind !== '-') lineB++;
    }
    i = end + 1;
  }
  return out;
}
