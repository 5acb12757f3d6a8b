// Tarantool-compatible SWIM packet codec (plain text, no encryption): the JS entry points
// of native/core/codec. Useful for tests, tooling and inspecting captured datagrams.
import { SwimError, type SwimErrorCode } from './errors';
import { native } from './native';

/** Tarantool's incarnation: generation is user-set and persistent, version volatile. */
export interface Incarnation {
  generation: bigint;
  version: bigint;
}

/** Member status, ordered: news of a bigger status at the same incarnation wins. */
export type MemberStatus = 'alive' | 'suspected' | 'dead' | 'left';

/** One record of a dissemination or anti-entropy section. */
export interface MemberRecord {
  status: MemberStatus;
  /** 'a.b.c.d:port' */
  uri: string;
  /** Canonical lower-case UUID text. */
  uuid: string;
  incarnation: Incarnation;
  /** At most 1200 bytes. */
  payload?: Uint8Array;
}

/** A decoded (or to be encoded) plain-text SWIM datagram. */
export interface Packet {
  meta: {
    /** Non-zero; Tarantool sends its version id (0x020600 for 2.6.0). */
    version: number;
    /** The sender's own 'ip:port'. */
    uri: string;
    /** Present on indirect pings and their acks. */
    route?: { src: string; dst: string };
  };
  /** The sender's UUID. */
  source: string;
  failureDetection?: { type: 'ping' | 'ack'; incarnation: Incarnation };
  dissemination?: MemberRecord[];
  antiEntropy?: MemberRecord[];
  quit?: Incarnation;
}

/**
 * Input accepted by encodePacket: a Packet, except that generation and version may also
 * be given as non-negative safe-integer numbers. Decoding always returns bigint.
 */
export type IncarnationInput = { generation: bigint | number; version: bigint | number };
export type PacketInput = Omit<Packet, 'failureDetection' | 'dissemination' | 'antiEntropy' | 'quit'> & {
  failureDetection?: { type: 'ping' | 'ack'; incarnation: IncarnationInput };
  dissemination?: Array<Omit<MemberRecord, 'incarnation'> & { incarnation: IncarnationInput }>;
  antiEntropy?: Array<Omit<MemberRecord, 'incarnation'> & { incarnation: IncarnationInput }>;
  quit?: IncarnationInput;
};

/** Why decodePacket rejected a datagram: the `reason` of its SwimError. */
export type DecodeErrorReason =
  | 'truncated'
  | 'bad_type'
  | 'bad_value'
  | 'unknown_key'
  | 'duplicate_key'
  | 'missing_field'
  | 'nil_uuid'
  | 'zero_address'
  | 'zero_port'
  | 'payload_too_large'
  | 'array_too_long'
  | 'trailing_garbage';

/** Every decode rejection reason, in the native enum's order. */
export const decodeErrorReasons: readonly DecodeErrorReason[] = Object.freeze([
  ...(native.decodeErrorNames as DecodeErrorReason[]),
]);

/** Largest plain-text datagram swim-native sends (an encrypted one still fits 1472). */
export const MAX_PACKET_SIZE: number = native.maxPacketSize;
/** Largest member payload (Tarantool's MAX_PAYLOAD_SIZE). */
export const MAX_PAYLOAD_SIZE: number = native.maxPayloadSize;

const NATIVE_CODES: ReadonlySet<string> = new Set<SwimErrorCode>([
  'ERR_SWIM_ENCODE',
  'ERR_SWIM_INVALID_ARG',
  'ERR_SWIM_PAYLOAD_TOO_LARGE',
]);

function rethrow(err: unknown): never {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && typeof code === 'string' && NATIVE_CODES.has(code)) {
    throw new SwimError(code as SwimErrorCode, err.message);
  }
  throw err;
}

/**
 * Encodes a packet exactly as Tarantool does (fixed-width integers, array16 member lists,
 * tt_uuid byte order). Throws SwimError: ERR_SWIM_INVALID_ARG for a bad shape,
 * ERR_SWIM_PAYLOAD_TOO_LARGE for a payload over 1200 bytes, ERR_SWIM_ENCODE when the whole
 * packet does not fit in `maxSize` bytes (default 1440).
 */
export function encodePacket(packet: Packet | PacketInput, options?: { maxSize?: number }): Buffer {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new SwimError('ERR_SWIM_INVALID_ARG', 'options must be an object');
  }
  const maxSize = options?.maxSize;
  try {
    return native.encodePacket(packet, maxSize) as Buffer;
  } catch (err) {
    rethrow(err);
  }
}

/**
 * Decodes one plain-text datagram with the same strict checks the protocol core applies.
 * Throws SwimError ERR_SWIM_DECODE whose `reason` is one of decodeErrorReasons and whose
 * message names the offending field; ERR_SWIM_INVALID_ARG when `buf` is not a Uint8Array.
 */
export function decodePacket(buf: Uint8Array): Packet {
  let out: Packet | { error: DecodeErrorReason; where: string };
  try {
    out = native.decodePacket(buf);
  } catch (err) {
    rethrow(err);
  }
  if ('error' in out) {
    const { error, where } = out;
    throw new SwimError('ERR_SWIM_DECODE', `invalid SWIM packet: ${error.replace(/_/g, ' ')} at ${where}`, {
      reason: error,
    });
  }
  return out;
}
