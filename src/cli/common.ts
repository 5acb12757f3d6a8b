// Shared by the CLI commands: argument parsing (node:util parseArgs) with errors that name
// the offending flag, and the usage error (exit 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line mistake: printed with a hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` strictly: `--flag value` and `--flag=value` both work; an unknown flag, a
 * missing value or a stray argument throws UsageError naming it.
 */
export function parse(
  command: string,
  argv: string[],
  options: Options,
  positionals: { min: number; max: number; names: string },
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  let r;
  try {
    r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const quoted = /'([^']+)'/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`${command}: unknown option '${quoted ?? e.message}'`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${command}: ${e.message.replace(/^Option /, 'option ')}`);
    throw new UsageError(`${command}: ${e.message}`);
  }
  const values = r.values as Record<string, string | boolean | undefined>;
  if (!values.help) {
    if (r.positionals.length > positionals.max)
      throw new UsageError(`${command}: unexpected argument '${r.positionals[positionals.max]}'`);
    if (r.positionals.length < positionals.min) throw new UsageError(`${command}: missing ${positionals.names}`);
  }
  return { values, positionals: r.positionals };
}

/** The string flags of `values` (booleans dropped). */
export function stringFlags(values: Record<string, string | boolean | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(values)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A positive number of seconds, or UsageError naming the flag. */
export function positive(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} needs a positive number`);
  return n;
}
