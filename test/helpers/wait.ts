// Polling with a deadline: tests that wait for a cluster (or a peer) poll a condition,
// never sleep a fixed time. The condition may be sync or async; a thrown error counts as
// "not yet" until the deadline, when the last error (or a timeout error) is thrown.

export interface WaitOptions {
  /** Poll interval in ms (default 20). */
  intervalMs?: number;
  /** What is being waited for, used in the timeout message. */
  what?: string;
}

export async function waitFor<T>(
  cond: () => T | Promise<T>,
  timeoutMs: number,
  options: WaitOptions = {},
): Promise<NonNullable<T>> {
  const interval = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = options.what ?? 'condition';
      const msg = `waitFor: ${what} not met within ${timeoutMs} ms`;
      if (lastError instanceof Error) {
        lastError.message = `${msg}: ${lastError.message}`;
        throw lastError;
      }
      throw new Error(msg);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Rejects with `what` when `p` does not settle within timeoutMs. */
export function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
