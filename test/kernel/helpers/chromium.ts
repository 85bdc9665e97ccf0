// Opens a page in headless Chromium (Debian's `chromium`) the way a person would, and reads back
// what they would see: the rendered text (`innerText`), computed styles, and a screenshot. Talks
// the DevTools protocol over --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-separated JSON), so
// no port is opened and no extra npm package is needed. Bounded: the browser is killed after
// `timeoutMs`, and always closed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = '/usr/bin/chromium';

export interface PageView {
  /** document.body.innerText */
  text: string;
  /** PNG of the whole page. */
  screenshot: Buffer;
  /** Results of `expressions`, in order (JSON-serialisable values). */
  values: unknown[];
}

/** Loads `url` at the given viewport width, evaluates `expressions`, and takes a full-page screenshot. */
export async function viewPage(url: string, { width = 1280, height = 900, expressions = [] as string[], timeoutMs = 30_000 } = {}): Promise<PageView> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh does)`);
  const profile = mkdtempSync(join(tmpdir(), 'wirestate-chromium-'));
  // Root cannot use Chromium's sandbox; the page is our own file, with no scripts.
  const child = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const waiters: { method: string; resolve: () => void }[] = [];
  let buffer = '';
  fromBrowser.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    for (let i = buffer.indexOf('\0'); i >= 0; i = buffer.indexOf('\0')) {
      const msg = JSON.parse(buffer.slice(0, i)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string };
      buffer = buffer.slice(i + 1);
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result ?? {});
      } else if (msg.method) {
        for (const w of waiters.filter((x) => x.method === msg.method)) w.resolve();
      }
    }
  });
  let nextId = 1;
  const send = (method: string, params: object = {}, sessionId?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  const event = (method: string): Promise<void> => new Promise((resolve) => waiters.push({ method, resolve }));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    const died = exited.then(() => {
      throw new Error(`chromium exited: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    });
    const work = async (): Promise<PageView> => {
      const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      await send('Page.enable', {}, sessionId);
      await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
      const loaded = event('Page.loadEventFired');
      await send('Page.navigate', { url }, sessionId);
      await loaded;
      const evaluate = async (expression: string): Promise<unknown> => {
        const r = (await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as { result: { value: unknown }; exceptionDetails?: { text: string } };
        if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.text}`);
        return r.result.value;
      };
      const text = (await evaluate('document.body.innerText')) as string;
      const values: unknown[] = [];
      for (const e of expressions) values.push(await evaluate(e));
      const shot = (await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId)) as { data: string };
      await send('Browser.close').catch(() => undefined);
      return { text, screenshot: Buffer.from(shot.data, 'base64'), values };
    };
    return await Promise.race([work(), died]);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
