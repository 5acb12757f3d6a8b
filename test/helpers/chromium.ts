// Headless Chromium driven over the DevTools protocol through a pipe
// (--remote-debugging-pipe: commands on fd 3, replies on fd 4, NUL-terminated JSON), so no
// WebSocket client or browser download is needed: the Debian package `chromium` is enough.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The chromium binary: $CHROMIUM, or the first of the usual names on the PATH. */
export function findChromium(): string | null {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
      const p = path.join(dir, name);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        return p;
      } catch {
        // next
      }
    }
  }
  return null;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

// The browser is not ours to sanitize: under `npm run test:asan` the environment preloads
// the ASan runtime into every process, which Chromium must not get.
function browserEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) delete env[k];
  return env;
}

export class Browser {
  readonly #proc: ChildProcess;
  readonly #in: Writable;
  readonly #pending = new Map<number, Pending>();
  readonly #profile: string;
  #nextId = 1;
  stderr = '';

  private constructor(proc: ChildProcess, profile: string) {
    this.#proc = proc;
    this.#profile = profile;
    this.#in = proc.stdio[3] as Writable;
    const out = proc.stdio[4] as Readable;
    let buf = '';
    out.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let end;
      while ((end = buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(buf.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        buf = buf.slice(end + 1);
        if (msg.id === undefined) continue;  // an event
        const p = this.#pending.get(msg.id);
        if (p === undefined) continue;
        this.#pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`cdp: ${msg.error.message}`));
        else p.resolve(msg.result ?? {});
      }
    });
    proc.stderr?.setEncoding('utf8').on('data', (c: string) => {
      if (this.stderr.length < 20000) this.stderr += c;
    });
    proc.on('exit', () => {
      for (const p of this.#pending.values()) p.reject(new Error(`chromium exited; stderr:\n${this.stderr}`));
      this.#pending.clear();
    });
  }

  static launch(executable: string): Browser {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'swim-chromium-'));
    const proc = spawn(
      executable,
      [
        '--headless',
        '--remote-debugging-pipe',
        '--no-sandbox',  // root in CI
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--no-default-browser-check',
        `--user-data-dir=${profile}`,
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env: browserEnv() },
    );
    return new Browser(proc, profile);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#in.write(`${JSON.stringify({ id, method, params, ...(sessionId !== undefined && { sessionId }) })}\0`);
    });
  }

  /** Opens `url` in a new tab. */
  async open(url: string): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    return new Page(this, sessionId);
  }

  async close(): Promise<void> {
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) {
      const exited = new Promise((r) => this.#proc.once('exit', r));
      this.#proc.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(this.#profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(
    readonly browser: Browser,
    readonly sessionId: string,
  ) {}

  /** The value of a JavaScript expression in the page (JSON-serialisable). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.browser.send('Runtime.evaluate', { expression, returnByValue: true }, this.sessionId)) as {
      result: { value?: T };
      exceptionDetails?: { text: string };
    };
    if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** A PNG screenshot of the page. */
  async screenshot(): Promise<Buffer> {
    const r = (await this.browser.send('Page.captureScreenshot', { format: 'png' }, this.sessionId)) as { data: string };
    return Buffer.from(r.data, 'base64');
  }
}
