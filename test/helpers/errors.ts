import { expect } from 'vitest';
import { SwimError } from '../../src/index';

/** Runs fn, asserts it threw a SwimError with `code` (and the given reason / message). */
export function expectSwimError(
  fn: () => unknown,
  code: string,
  check: { reason?: string; message?: string | RegExp } = {},
): SwimError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(SwimError);
  const e = caught as SwimError;
  expect(e.code).toBe(code);
  if (check.reason !== undefined) expect(e.reason).toBe(check.reason);
  if (check.message !== undefined) expect(e.message).toMatch(check.message);
  return e;
}
