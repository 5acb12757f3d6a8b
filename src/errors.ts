/** Stable error codes. Match on `err.code`, never on the message. */
export type SwimErrorCode =
  | 'ERR_SWIM_DECODE'
  | 'ERR_SWIM_DECRYPT'
  | 'ERR_SWIM_ENCODE'
  | 'ERR_SWIM_CONFIG'
  | 'ERR_SWIM_BIND'
  | 'ERR_SWIM_PAYLOAD_TOO_LARGE'
  | 'ERR_SWIM_CLOSED'
  | 'ERR_SWIM_MEMBER'
  | 'ERR_SWIM_INVALID_ARG'
  | 'ERR_SWIM_JOIN'
  | 'ERR_SWIM_NATIVE';

/** Every error swim-native throws on purpose is a SwimError with a stable `code`. */
export class SwimError extends Error {
  readonly code: SwimErrorCode;
  /** Machine-readable detail, e.g. the decode reason ('truncated', 'nil_uuid', ...). */
  readonly reason?: string;
  /** ERR_SWIM_JOIN: each seed's failure ({ seed, reason: 'unresolvable' | 'no_answer', addresses, code? }). */
  readonly failures?: ReadonlyArray<{ seed: string; reason: string; addresses: string[]; code?: string }>;

  constructor(
    code: SwimErrorCode,
    message: string,
    options?: {
      reason?: string;
      cause?: unknown;
      failures?: ReadonlyArray<{ seed: string; reason: string; addresses: string[]; code?: string }>;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwimError';
    this.code = code;
    if (options?.reason !== undefined) this.reason = options.reason;
    if (options?.failures !== undefined) this.failures = options.failures;
  }
}

// A failed command's name (the engine's command_error_name, or one of the simulator's own)
// -> the code it throws and what the message says. The one place this policy lives.
const COMMAND_ERRORS: Readonly<Record<string, readonly [SwimErrorCode, string]>> = {
  not_configured: ['ERR_SWIM_CONFIG', 'not configured yet'],
  bad_config: ['ERR_SWIM_CONFIG', 'bad configuration'],
  uuid_in_use: ['ERR_SWIM_MEMBER', 'another member already has this UUID'],
  self_member: ['ERR_SWIM_MEMBER', 'this is the instance itself'],
  duplicate_member: ['ERR_SWIM_MEMBER', 'a member with this UUID already exists'],
  unknown_member: ['ERR_SWIM_MEMBER', 'no member with this UUID'],
  payload_too_large: ['ERR_SWIM_PAYLOAD_TOO_LARGE', 'payload too large'],
  bad_address: ['ERR_SWIM_INVALID_ARG', 'bad address'],
  quitting: ['ERR_SWIM_CLOSED', 'the instance is quitting'],
  // The simulator's.
  not_running: ['ERR_SWIM_CLOSED', 'the node is not running'],
  address_in_use: ['ERR_SWIM_BIND', 'another node has this address'],
};

/** The SwimError of a command that failed with the native error `name`. */
export function commandError(op: string, name: string): SwimError {
  const [code, text]: readonly [SwimErrorCode, string] = Object.hasOwn(COMMAND_ERRORS, name)
    ? COMMAND_ERRORS[name]
    : ['ERR_SWIM_NATIVE', name];
  return new SwimError(code, `${op}: ${text}`, { reason: name });
}

/** Throws the command's error when it failed (native commands return undefined or a name). */
export function checkCommand(op: string, result: string | undefined): void {
  if (result !== undefined) throw commandError(op, result);
}
