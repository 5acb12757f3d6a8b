// A child node process running a fixture (test/fixtures/*), with line-based stdio.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '../fixtures');
export const ROOT = path.resolve(__dirname, '../..');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class Child {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<ChildResult>;
  #waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];

  constructor(args: string[], options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}) {
    this.proc = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let partial = '';
    this.proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((w) => {
          if (!w.pred(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    });
    this.proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        // Let the pipes drain before reporting.
        setImmediate(() => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
      });
    });
  }

  /** Resolves with the first line (already received or future) matching `pred`. */
  line(pred: (l: string) => boolean, timeoutMs: number, what = 'a line'): Promise<string> {
    const found = this.lines.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`child: ${what} not printed within ${timeoutMs} ms; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      this.#waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  /** The first JSON line with the given `type`. */
  async json<T = Record<string, unknown>>(type: string, timeoutMs: number): Promise<T> {
    const l = await this.line((x) => x.startsWith('{') && (JSON.parse(x) as { type?: string }).type === type, timeoutMs, `{"type":"${type}"}`);
    return JSON.parse(l) as T;
  }

  send(line: string): void {
    this.proc.stdin?.write(`${line}\n`);
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}
