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
  | 'ERR_SWIM_NATIVE';

/** Every error swim-native throws on purpose is a SwimError with a stable `code`. */
export class SwimError extends Error {
  readonly code: SwimErrorCode;
  /** Machine-readable detail, e.g. the decode reason ('truncated', 'nil_uuid', ...). */
  readonly reason?: string;

  constructor(code: SwimErrorCode, message: string, options?: { reason?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwimError';
    this.code = code;
    if (options?.reason !== undefined) this.reason = options.reason;
  }
}
